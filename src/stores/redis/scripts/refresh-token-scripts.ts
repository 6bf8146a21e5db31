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
import { CAS_WRITE, casReply, type CasReply } from './record-scripts.js';

/** A token's `cred` field when it was issued for no credential (ids are 32 hex characters: never this). */
export const CREDENTIAL_NONE = '-';

/** Writes a token's record and both indexes, unless its id or hash is taken. → 1 | 0 */
const CREATE_TOKEN = `
local function createToken(record, index, userSet, id, rev, env, hash, user, cred)
  if redis.call('EXISTS', record) == 1 or redis.call('EXISTS', index) == 1 then return 0 end
  redis.call('HSET', record, 'rev', rev, 'env', env, 'hash', hash, 'user', user)
  if cred ~= '' then redis.call('HSET', record, 'cred', cred) end
  redis.call('SET', index, id)
  redis.call('SADD', userSet, id)
  return 1
end`;

/**
 * KEYS[1] record, KEYS[2] hash index, KEYS[3] the user's set · ARGV[1] id, ARGV[2] rev, ARGV[3]
 * envelope JSON, ARGV[4] token hash, ARGV[5] user id, ARGV[6] credential id, which the refresh
 * grant's read finds the credential by (CREDENTIAL_NONE for none, '' when not given: that read then
 * takes it from the snapshot); KEYS[4] the tokens' `states-of` and ARGV[7] their `in-state:` stem
 * (KEEP_COUNTS); KEYS[5..] and ARGV[8..] the audit entries kept with it (KEEP_AUDIT_FROM).
 * → 1 | 0 (id or hash taken)
 */
export const refreshTokenCreate = luaScript(
  `${CREATE_TOKEN}${KEEP_AUDIT_FROM}${KEEP_COUNTS}
if createToken(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]) == 0 then return 0 end
countMove(KEYS[4], ARGV[7], ARGV[1], KEYS[1], nil, stateOf(ARGV[3]))
keepAuditFrom(5, 8)
return 1
`,
  integerReply('refresh token create'),
);

/**
 * The ROTATE write (issue 17): recordCompareAndSet on the presented token and refreshTokenCreate of
 * its successor, both or neither, so that a lost race or a failure never leaves a successor nobody
 * holds. KEYS[1] the presented record, KEYS[2..4] the successor's record, hash index and user set ·
 * ARGV[1..5] as recordCompareAndSet's, ARGV[6..11] as refreshTokenCreate's ARGV[1..6]; KEYS[5] the
 * tokens' `states-of`, ARGV[12] their `in-state:` stem and ARGV[13] the presented token's id
 * (KEEP_COUNTS); KEYS[6..] and ARGV[14..] the audit entries kept with the write (KEEP_AUDIT_FROM).
 * → 1 when written; the stored envelope JSON, or nil, when the revision did not match; -1, writing
 * nothing, when the successor's id or hash is taken.
 */
export const refreshTokenExchange = luaScript(
  `${CREATE_TOKEN}${KEEP_AUDIT_FROM}${KEEP_COUNTS}
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then
  return redis.call('HGET', KEYS[1], 'env')
end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local countedBefore = countedState(KEYS[1])
${CAS_WRITE}
createToken(KEYS[2], KEYS[3], KEYS[4], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
countMove(KEYS[5], ARGV[12], ARGV[13], KEYS[1], countedBefore, stateOf(ARGV[3]), ARGV[4] == 'keep')
countMove(KEYS[5], ARGV[12], ARGV[6], KEYS[2], nil, stateOf(ARGV[8]))
keepAuditFrom(6, 14)
return 1
`,
  (reply: unknown): CasReply | 'taken' => (reply === -1 ? 'taken' : casReply('refresh token exchange')(reply)),
);

/**
 * KEYS[1] record, KEYS[2] the tokens' `states-of` · ARGV[1] id, ARGV[2] hash index stem, ARGV[3]
 * user set stem, ARGV[4] the tokens' `in-state:` stem (KEEP_COUNTS). → 1
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
return 1
`,
  integerReply('refresh token delete'),
);

/** KEYS[1] the user's set · ARGV[1] record stem. → id, envelope JSON, id, envelope JSON, … */
export const refreshTokenList = luaScript(
  `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local env = redis.call('HGET', ARGV[1] .. id, 'env')
  if env then
    out[#out + 1] = id
    out[#out + 1] = env
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
`,
  stringArrayReply('refresh token list'),
);

/**
 * KEYS[1] hash index · ARGV[1] record stem. → {id, envelope JSON}, or nil when the index or its
 * record is absent. The refresh grant's first read: the index and the record in one round trip.
 */
export const refreshTokenLoadByHash = luaScript(
  `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local env = redis.call('HGET', ARGV[1] .. id, 'env')
if not env then return false end
return { id, env }
`,
  (reply: unknown): { id: string; env: string } | null => {
    if (reply === null || reply === false) return null;
    const [id, env] = Array.isArray(reply) && reply.length === 2 ? (reply as unknown[]) : [];
    if (typeof id !== 'string' || typeof env !== 'string') throw new UnexpectedReplyError('refresh token load by hash', reply);
    return { id, env };
  },
);

/**
 * KEYS[1] hash index, KEYS[2] the users hash · ARGV[1] record stem, ARGV[2] credential stem.
 * → {id, envelope JSON, user JSON or nil, credential JSON or nil}, or nil when the index or its record
 * is absent: the refresh grant's one read. The credential's id is the record's `cred` field, or, for
 * a record written before that field, its snapshot's `credentialId`.
 */
export const refreshTokenLoadPresented = luaScript(
  `
local id = redis.call('GET', KEYS[1])
if not id then return false end
local fields = redis.call('HMGET', ARGV[1] .. id, 'env', 'user', 'cred')
if not fields[1] then return false end
local credentialId = fields[3]
if not credentialId then credentialId = cjson.decode(fields[1]).snapshot.context.credentialId end
local credential = false
if type(credentialId) == 'string' and credentialId ~= '${CREDENTIAL_NONE}' then credential = redis.call('HGET', ARGV[2] .. credentialId, 'json') end
return { id, fields[1], redis.call('HGET', KEYS[2], fields[2]), credential }
`,
  (reply: unknown): { id: string; env: string; user: string | null; credential: string | null } | null => {
    if (reply === null || reply === false) return null;
    const [id, env, user, credential] = Array.isArray(reply) ? (reply as unknown[]) : [];
    const optional = (value: unknown) => (value === null || value === false || value === undefined ? null : value);
    if (typeof id !== 'string' || typeof env !== 'string') throw new UnexpectedReplyError('refresh token load presented', reply);
    const [u, c] = [optional(user), optional(credential)];
    if ((u !== null && typeof u !== 'string') || (c !== null && typeof c !== 'string')) throw new UnexpectedReplyError('refresh token load presented', reply);
    return { id, env, user: u, credential: c };
  },
);

/** KEYS[1] record, KEYS[2] the users hash. → {envelope JSON, user JSON or nil}, or nil when the record is absent. */
export const refreshTokenLoadSession = luaScript(
  `
local fields = redis.call('HMGET', KEYS[1], 'env', 'user')
if not fields[1] then return false end
return { fields[1], redis.call('HGET', KEYS[2], fields[2]) }
`,
  (reply: unknown): { env: string; user: string | null } | null => {
    if (reply === null || reply === false) return null;
    const [env, user] = optionalStringsReply('refresh token load session', 2)(reply);
    if (env === null || env === undefined) throw new UnexpectedReplyError('refresh token load session', reply);
    return { env, user: user ?? null };
  },
);
