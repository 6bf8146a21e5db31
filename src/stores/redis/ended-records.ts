/**
 * Records that reached a state that deletes them at once (types.ts EndedRecordCounts), on Redis:
 * one counter per machine, state and minute (`<p>ended:<machine>:<state>:<minute>`, keys.ts),
 * incremented with its TTL in one script and expiring once it is out of every window, so nothing
 * needs sweeping; the last hour is one MGET of the 60 minutes of every asked state, one round trip.
 * Every instance adds to the same counters, so every instance reads the same hour.
 */
import { COUNTED_MINUTES, MINUTE_MS, minuteOf } from '../ended-minutes.js';
import type { EndedRecordCounts } from '../types.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

/** A counter outlives its last window by a minute, so that a read at a minute's edge still finds it. */
const COUNTER_TTL_MS = (COUNTED_MINUTES + 1) * MINUTE_MS;

export function redisEndedRecords(run: Run, keys: RedisKeys): EndedRecordCounts {
  return {
    async count({ machine, state }, at) {
      await run('endedRecords.count', (client) => client.endedRecordCount([keys.endedRecords(machine, state, minuteOf(at))], [String(COUNTER_TTL_MS)]));
    },
    async lastHour(states, now) {
      if (states.length === 0) return [];
      const last = minuteOf(now);
      const minutes = Array.from({ length: COUNTED_MINUTES }, (_, back) => last - back);
      const names = states.flatMap(({ machine, state }) => minutes.map((minute) => keys.endedRecords(machine, state, minute)));
      const values = await run('endedRecords.lastHour', (client) => client.mGet(names));
      return states.map((ended, index) => {
        const counts = values.slice(index * COUNTED_MINUTES, (index + 1) * COUNTED_MINUTES);
        return { ...ended, count: counts.reduce((sum, value) => sum + (value === null ? 0 : Number(value)), 0) };
      });
    },
  };
}
