/** The audit trail's writes (see ../audit.ts): its own script, and the part other writes append. */
import { integerReply, luaScript } from './define.js';

/**
 * Keeps entries: in the stream, the record's list and the user's, capped and with the lists' TTL.
 * An entry naming no user has the stream itself in its user list's place: a key of the script's own
 * slot, as a cluster requires of every key a script is given (redis/keys.ts).
 */
const KEEP_AUDIT = `
local keptAt
local function keepInStream(stream, entry, streamCap)
  -- 't': when it was kept, in µs (Redis' clock, frozen for the script: read once), which orders the
  -- entries of a cluster's streams kept within one millisecond on different masters (../audit.ts tail).
  if not keptAt then
    local time = redis.call('TIME')
    keptAt = time[1] .. string.format('%06d', tonumber(time[2]))
  end
  redis.call('XADD', stream, 'MAXLEN', '~', streamCap, '*', 'e', entry, 't', keptAt)
end
local function keepInList(list, entries, cap, ttl)
  -- RPUSH answers the list's length: trimmed only once it is over its cap.
  if redis.call('RPUSH', list, unpack(entries)) > tonumber(cap) then redis.call('LTRIM', list, -tonumber(cap), -1) end
  redis.call('PEXPIRE', list, ttl)
end
local function keepAudit(stream, recordList, userList, entry, streamCap, recordCap, ttl, userCap)
  keepInStream(stream, entry, streamCap)
  keepInList(recordList, { entry }, recordCap, ttl)
  if userList and userList ~= stream then keepInList(userList, { entry }, userCap, ttl) end
end`;

/**
 * Audit entries kept by the write they describe (a record's compare-and-set or creation, issue 16:
 * one round trip): `keepAuditFrom(k, a)` reads KEYS[k] the stream, then per entry its record's
 * list and its user's list (the stream for none), and ARGV[a..a+3] the stream cap, per-record cap, the lists'
 * TTL and per-user cap, then the entries' JSON. No entries: no such keys and arguments. Only records
 * that never hold entries (types.ts AuditHold: login flows do) write their entries this way.
 */
export const KEEP_AUDIT_FROM = `${KEEP_AUDIT}
local function keepAuditFrom(k, a)
  -- Each list gets its entries in one push, in their order: a rotation's two entries name one user.
  local lists, order = {}, {}
  local function gather(list, entry, cap)
    local gathered = lists[list]
    if not gathered then
      gathered = { cap = cap }
      lists[list] = gathered
      order[#order + 1] = list
    end
    gathered[#gathered + 1] = entry
  end
  for i = 1, #ARGV - a - 3 do
    local entry, userList = ARGV[a + 3 + i], KEYS[k + 2 * i]
    keepInStream(KEYS[k], entry, ARGV[a])
    gather(KEYS[k + 2 * i - 1], entry, ARGV[a + 1])
    if userList ~= KEYS[k] then gather(userList, entry, ARGV[a + 3]) end
  end
  for _, list in ipairs(order) do keepInList(list, lists[list], lists[list].cap, ARGV[a + 2]) end
end`;

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
  `${KEEP_AUDIT}
local function keep(entry, userList)
  keepAudit(KEYS[1], KEYS[2], userList, entry, ARGV[2], ARGV[3], ARGV[4], ARGV[5])
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
