/**
 * A refresh token is a record `rt:<id>` plus two indexes: `rt-hash:<tokenHash>` → id (login by
 * secret) and the set `user-rts:<userId>` (listing). These scripts write and remove the three
 * together so that no instance ever sees a token without its indexes or an index without its token.
 * The per-user set is the one index that may hold a dead member (a tombstone whose TTL ran out);
 * listing drops such members as it meets them.
 */
import { integerReply, luaScript, optionalStringsReply, stringArrayReply, UnexpectedReplyError } from './define.js';
import { KEEP_AUDIT_FROM } from './audit-scripts.js';
import { KEEP_COUNTS } from './record-count-scripts.js';
import { CAS_READ, CAS_WRITE, casReply, STORED_NOW, type CasReply } from './record-scripts.js';

/** A token's `cred` field when it was issued for no credential (ids are 32 hex characters: never this). */
export const CREDENTIAL_NONE = '-';

/**
 * Writes a token's record (with no TTL: the counts score it +inf) and both indexes, unless its id or
 * hash is taken (not asked again when `free`: the caller looked). → 1 | 0
 */
const CREATE_TOKEN = `
local function createToken(record, index, userSet, id, rev, env, hash, user, cred, free)
  if not free and (redis.call('EXISTS', record) == 1 or redis.call('EXISTS', index) == 1) then return 0 end
  if cred ~= '' then
    redis.call('HSET', record, 'rev', rev, 'env', env, 'hash', hash, 'user', user, 'cred', cred)
  else
    redis.call('HSET', record, 'rev', rev, 'env', env, 'hash', hash, 'user', user)
  end
  redis.call('SET', index, id)
  redis.call('SADD', userSet, id)
  return 1
end`;

/**
 * KEYS[1] record, KEYS[2] hash index, KEYS[3] the user's set · ARGV[1] id, ARGV[2] rev, ARGV[3]
 * envelope JSON, ARGV[4] token hash, ARGV[5] user id, ARGV[6] credential id, which the refresh
 * grant's read finds the credential by (CREDENTIAL_NONE for none, '' when not given: that read then
 * takes it from the snapshot); KEYS[4] the tokens' `states-of` and ARGV[7] their `in-state:` stem
 * (KEEP_COUNTS); KEYS[5] on a cluster the hash's `rt-elsewhere` key, which an imported token may
 * hold (KEYS[2] again elsewhere: nothing more to look at); KEYS[6..] and ARGV[8..] the audit
 * entries kept with it (KEEP_AUDIT_FROM). → 1 | 0 (id or hash taken)
 */
export const refreshTokenCreate = luaScript(
  `${CREATE_TOKEN}${KEEP_AUDIT_FROM}${KEEP_COUNTS}
if KEYS[5] ~= KEYS[2] then
  local holder = redis.call('GET', KEYS[5])
  if holder and holder ~= ARGV[1] then return 0 end
end
if createToken(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]) == 0 then return 0 end
countMove(KEYS[4], ARGV[7], ARGV[1], KEYS[1], nil, stateOf(ARGV[3]), false, true)
keepAuditFrom(6, 8)
return 1
`,
  integerReply('refresh token create'),
);

/**
 * The ROTATE write (issue 17): recordCompareAndSet on the presented token and refreshTokenCreate of
 * its successor, both or neither, so that a lost race or a failure never leaves a successor nobody
 * holds; and, the same way, the code exchange's write (issue 16): a grant's redemption with the token
 * it produces (redis/grants.ts). KEYS[1] the presented token or the grant, KEYS[2..4] the successor's
 * record, hash index and user set · ARGV[1..5] as recordCompareAndSet's, ARGV[6..11] as
 * refreshTokenCreate's ARGV[1..6]; KEEP_COUNTS: KEYS[5] the `states-of` of KEYS[1]'s machine, KEYS[6]
 * the tokens', ARGV[12] KEYS[1]'s machine's `in-state:` stem, ARGV[13] its id, ARGV[14] the tokens'
 * stem; KEYS[7..] and ARGV[15..] the audit entries kept with the write (KEEP_AUDIT_FROM).
 * → 1 when written; what is stored (record-scripts.ts CAS_READ) when the revision did not match;
 * -1, writing nothing, when the successor's id or hash is taken.
 */
export const refreshTokenExchange = luaScript(
  `${CREATE_TOKEN}${KEEP_AUDIT_FROM}${KEEP_COUNTS}${CAS_READ}
if redis.call('EXISTS', KEYS[2], KEYS[3]) > 0 then return -1 end
local countedBefore = stateOf(stored[2])
${CAS_WRITE}
createToken(KEYS[2], KEYS[3], KEYS[4], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], true)
countMove(KEYS[5], ARGV[12], ARGV[13], KEYS[1], countedBefore, stateOf(ARGV[3]), ARGV[4] == 'keep')
countMove(KEYS[6], ARGV[14], ARGV[6], KEYS[2], nil, stateOf(ARGV[8]), false, true)
keepAuditFrom(7, 15)
return 1
`,
  (reply: unknown): CasReply | 'taken' => (reply === -1 ? 'taken' : casReply('refresh token exchange')(reply)),
);

/**
 * KEYS[1] record, KEYS[2] the tokens' `states-of` · ARGV[1] id, ARGV[2] hash index stem, ARGV[3]
 * user set stem, ARGV[4] the tokens' `in-state:` stem (KEEP_COUNTS). → the token's hash ('' when
 * there was no record), for a cluster to release a claim made in the hash's bucket.
 * The index is removed only while it still names this id, so a delete never takes another's index.
 */
export const refreshTokenDelete = luaScript(
  `${KEEP_COUNTS}
countMove(KEYS[2], ARGV[4], ARGV[1], KEYS[1], countedState(KEYS[1]), nil)
local fields = redis.call('HMGET', KEYS[1], 'hash', 'user')
if fields[1] then
  local index = ARGV[2] .. fields[1]
  if redis.call('GET', index) == ARGV[1] then redis.call('DEL', index) end
end
if fields[2] then redis.call('SREM', ARGV[3] .. fields[2], ARGV[1]) end
redis.call('DEL', KEYS[1])
return fields[1] or ''
`,
  (reply: unknown): string => {
    if (typeof reply !== 'string') throw new UnexpectedReplyError('refresh token delete', reply);
    return reply;
  },
);

/**
 * Cluster only, before creating a token whose hash names another bucket than its id (keys.ts
 * `refreshTokenElsewhere`): claims the hash in its own bucket for the id, as the creation's script
 * would in one slot. KEYS[1] the hash's index, KEYS[2] its `rt-elsewhere` key · ARGV[1] the id.
 * → 1 when claimed (or already claimed for this id), 0 when the hash is taken.
 */
export const refreshTokenClaimHash = luaScript(
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
return 1
`,
  integerReply('refresh token claim hash'),
);

/** KEYS[1] the hash's `rt-elsewhere` key · ARGV[1] the id. Drops the claim while it is still this id's. → 1 | 0 */
export const refreshTokenReleaseHash = luaScript(
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`,
  integerReply('refresh token release hash'),
);

/** KEYS[1] the user's set · ARGV[1] record stem. → id, envelope JSON, used_at, used_ip, id, … ('' for no use) */
export const refreshTokenList = luaScript(
  `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local fields = redis.call('HMGET', ARGV[1] .. id, 'env', 'used_at', 'used_ip')
  if fields[1] then
    out[#out + 1] = id
    out[#out + 1] = fields[1]
    out[#out + 1] = fields[2] or ''
    out[#out + 1] = fields[3] or ''
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
`,
  stringArrayReply('refresh token list'),
);

/** A token's record as the reads give it: its envelope JSON and the use kept beside it (refresh-token-use.ts). */
export interface StoredToken {
  env: string;
  usedAt: string | null;
  usedIp: string | null;
}

/** What refreshTokenLoadByHash finds: the record, with the names its two references give. */
export type FoundByHash = (StoredToken & { id: string; user: string | null; cred: string | null }) | { elsewhere: string };

/**
 * KEYS[1] hash index, KEYS[2] (on a cluster; optional) the hash's `rt-elsewhere` key · ARGV[1]
 * record stem. → {id, envelope JSON, used_at, used_ip, user, cred}, or nil when the index or its
 * record is absent; on a cluster, {id} when only KEYS[2] names the token (an imported token kept in
 * its id's bucket: keys.ts): look there. A lookup by secret in one round trip.
 */
export const refreshTokenLoadByHash = luaScript(
  `
local id = redis.call('GET', KEYS[1])
if not id then
  if KEYS[2] then
    local elsewhere = redis.call('GET', KEYS[2])
    if elsewhere then return { elsewhere } end
  end
  return false
end
local fields = redis.call('HMGET', ARGV[1] .. id, 'env', 'used_at', 'used_ip', 'user', 'cred')
if not fields[1] then return false end
return { id, fields[1], fields[2], fields[3], fields[4], fields[5] }
`,
  (reply: unknown): FoundByHash | null => {
    if (reply === null || reply === false) return null;
    if (Array.isArray(reply) && reply.length === 1 && typeof reply[0] === 'string') return { elsewhere: reply[0] };
    const [id, env, usedAt = null, usedIp = null, user = null, cred = null] = optionalStringsReply('refresh token load by hash', 6)(reply);
    if (typeof id !== 'string' || typeof env !== 'string') throw new UnexpectedReplyError('refresh token load by hash', reply);
    return { id, env, usedAt, usedIp, user, cred };
  },
);

/**
 * One server only (a cluster reads the directory apart: redis/refresh-tokens.ts). KEYS[1] hash
 * index, KEYS[2] the users hash · ARGV[1] record stem, ARGV[2] credential stem.
 * → {id, envelope JSON, user JSON or nil, credential JSON or nil, used_at, used_ip}, or nil when the index or its record
 * is absent: the refresh grant's one read. The credential's id is the record's `cred` field, or, for
 * a record written before that field, its snapshot's `credentialId`.
 */
export const refreshTokenLoadPresented = luaScript(
  `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local fields = redis.call('HMGET', ARGV[1] .. id, 'env', 'user', 'cred', 'used_at', 'used_ip')
if not fields[1] then return false end
local credentialId = fields[3]
if not credentialId then credentialId = cjson.decode(fields[1]).snapshot.context.credentialId end
local credential = false
if type(credentialId) == 'string' and credentialId ~= '${CREDENTIAL_NONE}' then credential = redis.call('HGET', ARGV[2] .. credentialId, 'json') end
return { id, fields[1], redis.call('HGET', KEYS[2], fields[2]), credential, fields[4], fields[5] }
`,
  (reply: unknown): (StoredToken & { id: string; user: string | null; credential: string | null }) | null => {
    if (reply === null || reply === false) return null;
    const [id, env, user = null, credential = null, usedAt = null, usedIp = null] = optionalStringsReply('refresh token load presented', 6)(reply);
    if (typeof id !== 'string' || typeof env !== 'string') throw new UnexpectedReplyError('refresh token load presented', reply);
    return { id, env, user, credential, usedAt, usedIp };
  },
);

/**
 * One server only (as refreshTokenLoadPresented). KEYS[1] record, KEYS[2] the users hash. →
 * {envelope JSON, user JSON or nil, used_at, used_ip}, or nil when the record is absent.
 */
export const refreshTokenLoadSession = luaScript(
  `
local fields = redis.call('HMGET', KEYS[1], 'env', 'user', 'used_at', 'used_ip')
if not fields[1] then return false end
return { fields[1], redis.call('HGET', KEYS[2], fields[2]), fields[3], fields[4] }
`,
  (reply: unknown): (StoredToken & { user: string | null }) | null => {
    if (reply === null || reply === false) return null;
    const [env, user = null, usedAt = null, usedIp = null] = optionalStringsReply('refresh token load session', 4)(reply);
    if (env === null || env === undefined) throw new UnexpectedReplyError('refresh token load session', reply);
    return { env, user, usedAt, usedIp };
  },
);

/**
 * A use of the token (RefreshTokenStore.recordUse): the latest use kept beside the envelope, whose
 * revision must still be the one read, and which it leaves as it is, so that uses do not conflict
 * with one another. KEYS[1] record, KEYS[2..] audit · ARGV[1] expected rev, ARGV[2] time (epoch ms),
 * ARGV[3] address ('' for none), ARGV[4..] audit (KEEP_AUDIT_FROM). → 1 when recorded; otherwise
 * STORED_NOW (record-scripts.ts).
 */
export const refreshTokenRecordUse = luaScript(
  `${KEEP_AUDIT_FROM}
local seen = redis.call('HMGET', KEYS[1], 'rev', 'used_at')
if seen[1] ~= ARGV[1] then
  return ${STORED_NOW}
end
local last = tonumber(seen[2])
if not last or last < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], 'used_at', ARGV[2], 'used_ip', ARGV[3]) end
keepAuditFrom(2, 4)
return 1
`,
  casReply('refresh token record use'),
);
