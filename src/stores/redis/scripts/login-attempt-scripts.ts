/**
 * Failed logins and IP bans: a counter per address (`login-failures:<ip>`, a string with a PX TTL)
 * and one hash of bans (`ip-bans`, ip → banned_at). Counting and banning are one script, so that the
 * count that reaches the threshold and the ban it causes are one step on every instance. A script that
 * bans or lifts also publishes the change (`+<ip>`, `-<ip>`) on the ban channel, in the same step, so
 * that every instance's copy of the ban list hears it (ban-changes.ts) in the order Redis applied them.
 */
import { integerReply, luaScript, UnexpectedReplyError } from './define.js';

/**
 * KEYS[1] the address' counter, KEYS[2] the bans · ARGV[1] ip, ARGV[2] threshold, ARGV[3] window ms,
 * ARGV[4] banned_at, ARGV[5] the ban channel. → {count, 1 when this call banned the address else 0}
 */
export const loginFailureRecord = luaScript(
  `
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local banned = 0
if count >= tonumber(ARGV[2]) then banned = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[4]) end
if banned == 1 then redis.call('PUBLISH', ARGV[5], '+' .. ARGV[1]) end
return {count, banned}
`,
  (reply: unknown): { count: number; banned: boolean } => {
    if (!Array.isArray(reply) || reply.length !== 2 || !reply.every((item) => typeof item === 'number')) {
      throw new UnexpectedReplyError('login failure record', reply);
    }
    const [count, banned] = reply as [number, number];
    return { count, banned: banned === 1 };
  },
);

/**
 * KEYS[1] the address' counter, KEYS[2] the bans · ARGV[1] ip, ARGV[2] the ban channel.
 * → 1 (lifted, count gone) | 0 (not banned, nothing changed)
 */
export const ipBanLift = luaScript(
  `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], '-' .. ARGV[1])
return 1
`,
  integerReply('ip ban lift'),
);
