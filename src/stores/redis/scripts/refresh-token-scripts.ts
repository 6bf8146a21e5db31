/**
 * A refresh token is a record `rt:<id>` plus two indexes: `rt-hash:<tokenHash>` → id (login by
 * secret) and the set `user-rts:<userId>` (listing). These scripts write and remove the three
 * together so that no instance ever sees a token without its indexes or an index without its token.
 * The per-user set is the one index that may hold a dead member (a tombstone whose TTL ran out);
 * listing drops such members as it meets them.
 */
import { integerReply, luaScript, stringArrayReply, UnexpectedReplyError } from './define.js';
import { CAS_WRITE, casReply, type CasReply } from './record-scripts.js';

/** Writes a token's record and both indexes, unless its id or hash is taken. → 1 | 0 */
const CREATE_TOKEN = `
local function createToken(record, index, userSet, id, rev, env, hash, user)
  if redis.call('EXISTS', record) == 1 or redis.call('EXISTS', index) == 1 then return 0 end
  redis.call('HSET', record, 'rev', rev, 'env', env, 'hash', hash, 'user', user)
  redis.call('SET', index, id)
  redis.call('SADD', userSet, id)
  return 1
end`;

/**
 * KEYS[1] record, KEYS[2] hash index, KEYS[3] the user's set ·
 * ARGV[1] id, ARGV[2] rev, ARGV[3] envelope JSON, ARGV[4] token hash, ARGV[5] user id. → 1 | 0 (id or hash taken)
 */
export const refreshTokenCreate = luaScript(
  `${CREATE_TOKEN}
return createToken(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
`,
  integerReply('refresh token create'),
);

/**
 * The ROTATE write (issue 17): recordCompareAndSet on the presented token and refreshTokenCreate of
 * its successor, both or neither, so that a lost race or a failure never leaves a successor nobody
 * holds. KEYS[1] the presented record, KEYS[2..4] the successor's record, hash index and user set ·
 * ARGV[1..5] as recordCompareAndSet's, ARGV[6..10] as refreshTokenCreate's ARGV[1..5].
 * → 1 when written; the stored envelope JSON, or nil, when the revision did not match; -1, writing
 * nothing, when the successor's id or hash is taken.
 */
export const refreshTokenExchange = luaScript(
  `${CREATE_TOKEN}
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then
  return redis.call('HGET', KEYS[1], 'env')
end
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
${CAS_WRITE}
return createToken(KEYS[2], KEYS[3], KEYS[4], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
`,
  (reply: unknown): CasReply | 'taken' => (reply === -1 ? 'taken' : casReply('refresh token exchange')(reply)),
);

/**
 * KEYS[1] record · ARGV[1] id, ARGV[2] hash index stem, ARGV[3] user set stem. → 1
 * The index is removed only while it still names this id, so a delete never takes another's index.
 */
export const refreshTokenDelete = luaScript(
  `
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
