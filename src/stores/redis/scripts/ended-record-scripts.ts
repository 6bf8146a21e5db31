/** The per-minute counters of records that reached a state deleting them (redis/ended-records.ts). */
import { integerReply, luaScript } from './define.js';

/** KEYS[1] the minute's counter · ARGV[1] its TTL in ms. → the new count. The counter and its TTL in one step: never a counter left without one. */
export const endedRecordCount = luaScript(
  `
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return count
`,
  integerReply('ended record count'),
);
