/**
 * Sealing a stored secret again with a new key (stores/sealing/sealing-marker.ts) is a
 * compare-and-set on the stored text: a write that came in between sealed the value itself, and
 * must not be undone.
 */
import { integerReply, luaScript } from './define.js';

/**
 * KEYS[1] a string, or a hash · ARGV[1] '' for the string, else the hash's field, ARGV[2] the text
 * expected there, ARGV[3] the text to write instead (the TTL stays). → 1 (written) | 0 (not the expected text)
 */
export const storedTextSwap = luaScript(
  `
local current
if ARGV[1] == '' then current = redis.call('GET', KEYS[1]) else current = redis.call('HGET', KEYS[1], ARGV[1]) end
if current ~= ARGV[2] then return 0 end
if ARGV[1] == '' then redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL') else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`,
  integerReply('stored text swap'),
);
