/**
 * Counts of records per state kept by the writes themselves (issue 15, see ../record-counts.ts): the
 * part every record write appends (KEEP_COUNTS), the count, and the one-time fill from the records
 * written before the writes kept counts.
 *
 * Per (machine, state) a sorted set `in-state:<machine>:<state>` holds the ids of the records in that
 * state, each scored with its record's expiry (PEXPIRETIME, ms on Redis' clock; +inf without one),
 * and per machine a set `states-of:<machine>` names the states whose sets may hold members. A key
 * that Redis drops at its TTL writes nothing, so its id stays in its set past its score: a count
 * counts only members whose score has not passed, and trims the rest (ZREMRANGEBYSCORE), as does
 * one write in 16 that adds to a set (chosen by the id's last hex digit), so that a set holds its live
 * members and those expired since it was last trimmed: about 16 adds or one count ago.
 */
import { luaScript, UnexpectedReplyError } from './define.js';

/**
 * The state of an envelope's text, as the counts name it: `snapshot.value` when it is a string, a
 * nested state's value as JSON; nil for text that is not an envelope with a state.
 */
const STATE_OF = `
local function stateOf(env)
  if not env then return nil end
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
end`;

/** Redis' clock in ms, as PEXPIRETIME and the flows' scripts read it. */
const NOW_MS = `
local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end`;

/**
 * The counts' part of a record's write, appended to its script like KEEP_AUDIT_FROM (call it after
 * the record is written, so that its TTL is the new one): `countMove(registry, stem, id, record,
 * before, after)` moves `id` from the set of state `before` to that of `after` (nil: none, for a
 * create or a delete), where `registry` is the machine's `states-of` key (a declared key of the
 * script), `stem` the machine's `in-state:<machine>:` and `record` the record's key, whose expiry
 * scores the member; `ttlKept`: the write left the record's TTL as it was; `noTtl`: the record was
 * just created without one (a refresh token), so its score is +inf without asking. `countedState(record)`
 * is the state of the record as stored now.
 */
export const KEEP_COUNTS = `${STATE_OF}${NOW_MS}
local function countedState(record)
  return stateOf(redis.call('HGET', record, 'env'))
end
local function countMove(registry, stem, id, record, before, after, ttlKept, noTtl)
  -- A write that keeps the state and the TTL changes nothing here; one that keeps the state only
  -- moves the score (the TTL changed), and the set does not grow.
  if before == after and ttlKept then return end
  if before and before ~= after then redis.call('ZREM', stem .. before, id) end
  if not after then return end
  local set = stem .. after
  local score = '+inf'
  if not noTtl then
    local expiry = redis.call('PEXPIRETIME', record)
    if expiry >= 0 then score = expiry end
  end
  if before == after then
    redis.call('ZADD', set, score, id)
    return
  end
  -- One add in 16 (ids are random hex) trims the set: enough to bound it, without the two calls on every write.
  if string.sub(id, -1) == '0' then redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. nowMs()) end
  redis.call('ZADD', set, score, id)
  redis.call('SADD', registry, after)
end`;

export interface StateCount {
  /** The index of its machine among the script's (0 for the first). */
  family: number;
  state: string;
  count: number;
}

/** `family .. ' ' .. state, count, …` as the scripts return them. */
function stateCounts(what: string, reply: unknown[], from: number): StateCount[] {
  const counts: StateCount[] = [];
  for (let index = from; index < reply.length; index += 2) {
    const [name, count] = [reply[index], reply[index + 1]];
    const match = typeof name === 'string' ? /^(\d+) ([\s\S]*)$/.exec(name) : null;
    if (match === null || typeof count !== 'number') throw new UnexpectedReplyError(what, reply);
    counts.push({ family: Number(match[1]), state: match[2] as string, count });
  }
  return counts;
}

/**
 * ARGV[1] '1' when KEYS[1] is the marker that the sets hold the records written before them
 * (recordStateFill; one server), '0' when there is none to check (a cluster's bucket: keys.ts);
 * then the keys each machine's `states-of` · ARGV[2..] each machine's `in-state:<machine>:` stem, in
 * the same order. → nil without the marker (fill first); else { family index (0-based) .. ' ' ..
 * state, count, … } for every state with a live member. Trims each set it reads, and forgets the
 * states whose set is empty. O(states + members expired since their set was last trimmed).
 */
export const recordStateCount = luaScript(
  `${NOW_MS}
local first = 1
if ARGV[1] == '1' then
  if redis.call('EXISTS', KEYS[1]) == 0 then return false end
  first = 2
end
local now = nowMs()
local reply = {}
for family = first, #KEYS do
  local stem = ARGV[family - first + 2]
  for _, state in ipairs(redis.call('SMEMBERS', KEYS[family])) do
    local set = stem .. state
    redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. now)
    local count = redis.call('ZCARD', set)
    if count == 0 then
      redis.call('SREM', KEYS[family], state)
    else
      reply[#reply + 1] = (family - first) .. ' ' .. state
      reply[#reply + 1] = count
    end
  end
end
return reply
`,
  (reply: unknown): StateCount[] | null => {
    if (reply === null || reply === false) return null;
    if (!Array.isArray(reply) || reply.length % 2 !== 0) throw new UnexpectedReplyError('record state count', reply);
    return stateCounts('record state count', reply, 0);
  },
);

/**
 * One step of the one-time fill (../record-counts.ts): what the writes would have put in the sets
 * for the records this step of a SCAN finds. No KEYS: the script walks the keyspace itself, so the
 * keys it reads cannot be declared (the deployment's keys share the prefix).
 *
 * ARGV[1] SCAN cursor, ARGV[2] MATCH pattern (the deployment's keys), ARGV[3] COUNT, then per machine
 * three: the stem of its records (`<p>grant:`, …), its `in-state:<machine>:` stem and its `states-of`
 * key. Each hash under a record stem is a record, counted in the state of its envelope (stateOf); an
 * envelope without one is not counted. Adding an id that a write added already changes nothing, so
 * writes may run between the steps. → the next cursor ('0' when the walk is done).
 */
export const recordStateFill = luaScript(
  `${KEEP_COUNTS}
local scan = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3], 'TYPE', 'hash')
for _, key in ipairs(scan[2]) do
  for family = 4, #ARGV, 3 do
    local stem = ARGV[family]
    if string.sub(key, 1, #stem) == stem then
      countMove(ARGV[family + 2], ARGV[family + 1], string.sub(key, #stem + 1), key, nil, countedState(key))
      break
    end
  end
end
return scan[1]
`,
  (reply: unknown): string => {
    if (typeof reply !== 'string') throw new UnexpectedReplyError('record state fill', reply);
    return reply;
  },
);
