/** The audit trail's one write (see ../audit.ts). */
import { integerReply, luaScript } from './define.js';

/**
 * KEYS[1] the stream, KEYS[2] the record's list, KEYS[3] the record's held list, KEYS[4] (for an entry
 * with a user) the user's list · ARGV[1] entry JSON, ARGV[2] stream cap, ARGV[3] per-record cap,
 * ARGV[4] the lists' TTL in ms, ARGV[5] per-user cap, ARGV[6] ms to hold the entry ('' to keep it),
 * ARGV[7] stem of the user lists (for held entries that name a user). → 1
 *
 * A held entry waits in the held list, with that TTL, unless the record has kept entries already. A
 * kept entry takes the held ones with it, in order, before itself.
 */
export const auditAppend = luaScript(
  `
local function keep(entry, userList)
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'e', entry)
  redis.call('RPUSH', KEYS[2], entry)
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  if userList then
    redis.call('RPUSH', userList, entry)
    redis.call('LTRIM', userList, -tonumber(ARGV[5]), -1)
    redis.call('PEXPIRE', userList, ARGV[4])
  end
end
if ARGV[6] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('RPUSH', KEYS[3], ARGV[1])
  redis.call('PEXPIRE', KEYS[3], ARGV[6])
  return 1
end
for _, held in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  local userId = cjson.decode(held).userId
  keep(held, type(userId) == 'string' and (ARGV[7] .. userId) or nil)
end
redis.call('DEL', KEYS[3])
keep(ARGV[1], KEYS[4])
return 1
`,
  integerReply('audit append'),
);
