/** The audit trail's one write (see ../audit.ts). */
import { integerReply, luaScript } from './define.js';

/**
 * KEYS[1] the stream, KEYS[2] the record's list, KEYS[3] (for an entry with a user) the user's list ·
 * ARGV[1] entry JSON, ARGV[2] stream cap, ARGV[3] per-record cap, ARGV[4] the lists' TTL in ms,
 * ARGV[5] per-user cap. → 1
 */
export const auditAppend = luaScript(
  `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if KEYS[3] then
  redis.call('RPUSH', KEYS[3], ARGV[1])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
return 1
`,
  integerReply('audit append'),
);
