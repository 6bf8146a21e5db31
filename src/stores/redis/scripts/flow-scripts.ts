/**
 * Opening a login flow within its client's limit (types.ts FlowStore.openFor): the client's open
 * flows are a sorted set `flows-of:<client>` (flow id by expiry, ms on Redis' clock). Members past
 * their expiry, or whose flow is gone (finished, aborted), are dropped before counting, so a slot
 * frees as soon as its flow ends, however it ends, without the flow's own writes knowing the set.
 */
import { luaScript, UnexpectedReplyError } from './define.js';
import { KEEP_COUNTS } from './record-count-scripts.js';

export type FlowOpenReply = { opened: true } | { opened: false; reason: 'taken' } | { opened: false; reason: 'limit'; retryAfterMs: number };

/**
 * KEYS[1] the flow, KEYS[2] the client's set, KEYS[3] the flows' `states-of` · ARGV[1] rev, ARGV[2]
 * envelope JSON, ARGV[3] TTL in ms, ARGV[4] flow id, ARGV[5] limit, ARGV[6] stem of the flow keys,
 * ARGV[7] the flows' `in-state:` stem (KEEP_COUNTS).
 * → {1} opened | {0} id taken | {-1, ms until the oldest open flow expires}
 */
export const flowOpen = luaScript(
  `${KEEP_COUNTS}
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local limit = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
-- Only a client at its limit pays for looking at each of its flows (at most limit of them).
if redis.call('ZCARD', KEYS[2]) >= limit then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if redis.call('EXISTS', ARGV[6] .. id) == 0 then redis.call('ZREM', KEYS[2], id) end
  end
end
if redis.call('ZCARD', KEYS[2]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {-1, math.max(1, tonumber(oldest[2]) - now)}
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'env', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[4])
-- Every flow gets the same TTL, so the newest member expires last: the set goes with it.
redis.call('PEXPIRE', KEYS[2], ARGV[3])
countMove(KEYS[3], ARGV[7], ARGV[4], KEYS[1], nil, stateOf(ARGV[2]))
return {1}
`,
  (reply: unknown): FlowOpenReply => {
    if (!Array.isArray(reply)) throw new UnexpectedReplyError('flow open', reply);
    const [code, retryAfterMs] = reply as unknown[];
    if (code === 1) return { opened: true };
    if (code === 0) return { opened: false, reason: 'taken' };
    if (code === -1 && typeof retryAfterMs === 'number') return { opened: false, reason: 'limit', retryAfterMs };
    throw new UnexpectedReplyError('flow open', reply);
  },
);
