/** One step of counting records by state (see ../record-counts.ts). */
import { luaScript, UnexpectedReplyError } from './define.js';

export interface RecordStateScanStep {
  /** '0' when the scan is complete. */
  cursor: string;
  /** `family` is the index of its stem among the script's stems (0 for the first). */
  counts: Array<{ family: number; state: string; count: number }>;
}

/**
 * No KEYS: the script walks the keyspace itself, so the keys it reads cannot be declared. As with the
 * scripts that follow stored references, the deployment's keys share the prefix, which must be a hash
 * tag on Redis Cluster (one node holds them all).
 *
 * ARGV[1] SCAN cursor, ARGV[2] MATCH pattern (the deployment's keys), ARGV[3] COUNT, ARGV[4…] the
 * stems of the record families (`<p>grant:`, `<p>rt:`, …). Each hash under a stem is a record: its
 * envelope's `snapshot.value` is its state (a nested state's value as JSON); an envelope that does
 * not decode is not counted. Keys past their TTL are absent to HGET.
 * → { next cursor, family index (0-based) .. ' ' .. state, count, … } for this step's keys.
 */
export const recordStateScan = luaScript(
  `
local scan = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3], 'TYPE', 'hash')
local counts, order = {}, {}
local function stateOf(env)
  -- Fast path: an envelope as encodeEnvelope writes it ({machine, v, rev, snapshot}, xstate's
  -- persisted snapshot opening with status and value) names a plain state within its first 100
  -- bytes. Anything else is decoded in full, which costs about three times as much.
  local state = string.match(env, '^{"machine":"%a+","v":%d+,"rev":%d+,"snapshot":{"status":"%a+","value":"([%w_.-]+)",')
  if state then return state end
  local ok, envelope = pcall(cjson.decode, env)
  if not ok or type(envelope) ~= 'table' or type(envelope.snapshot) ~= 'table' then return nil end
  local value = envelope.snapshot.value
  if type(value) == 'string' then return value end
  if type(value) == 'table' then return cjson.encode(value) end
  return nil
end
for _, key in ipairs(scan[2]) do
  for family = 4, #ARGV do
    local stem = ARGV[family]
    if string.sub(key, 1, #stem) == stem then
      local env = redis.call('HGET', key, 'env')
      local state = env and stateOf(env)
      if state then
        local name = (family - 4) .. ' ' .. state
        if counts[name] == nil then
          counts[name] = 0
          order[#order + 1] = name
        end
        counts[name] = counts[name] + 1
      end
      break
    end
  end
end
local reply = { scan[1] }
for _, name in ipairs(order) do
  reply[#reply + 1] = name
  reply[#reply + 1] = counts[name]
end
return reply
`,
  (reply: unknown): RecordStateScanStep => {
    if (!Array.isArray(reply) || typeof reply[0] !== 'string' || reply.length % 2 !== 1) {
      throw new UnexpectedReplyError('record state scan', reply);
    }
    const counts: RecordStateScanStep['counts'] = [];
    for (let index = 1; index < reply.length; index += 2) {
      const [name, count] = [reply[index] as unknown, reply[index + 1] as unknown];
      const match = typeof name === 'string' ? /^(\d+) ([\s\S]*)$/.exec(name) : null;
      if (match === null || typeof count !== 'number') throw new UnexpectedReplyError('record state scan', reply);
      counts.push({ family: Number(match[1]), state: match[2] as string, count });
    }
    return { cursor: reply[0], counts };
  },
);
