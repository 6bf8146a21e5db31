/**
 * Records that reached a state that deletes them at once (types.ts EndedRecordCounts), on the
 * embedded store: one row per machine, state and minute, added to by an upsert and summed over the
 * last 60 minutes; a minute's row expires once it is out of every window, and the sweeper deletes it (sweep.ts).
 */
import type { Database } from 'better-sqlite3';
import { COUNTED_MINUTES, MINUTE_MS, minuteOf } from '../ended-minutes.js';
import type { EndedRecordCounts } from '../types.js';
import type { GroupCommit } from './group-commit.js';

export function sqliteEndedRecords(db: Database, group: GroupCommit): EndedRecordCounts {
  const add = db.prepare<[string, string, number, number]>(
    `INSERT INTO ended_records (machine, state, minute, n, expires_at) VALUES (?, ?, ?, 1, ?)
     ON CONFLICT (machine, state, minute) DO UPDATE SET n = n + 1`,
  );
  const sum = db.prepare<[string, string, number], { total: number | null }>(
    'SELECT sum(n) AS total FROM ended_records WHERE machine = ? AND state = ? AND minute > ?',
  );
  return {
    count: ({ machine, state }, at) => {
      const minute = minuteOf(at);
      return group.write(() => void add.run(machine, state, minute, (minute + COUNTED_MINUTES + 1) * MINUTE_MS));
    },
    lastHour: (states, now) =>
      group.read(() => states.map((ended) => ({ ...ended, count: sum.get(ended.machine, ended.state, minuteOf(now) - COUNTED_MINUTES)?.total ?? 0 }))),
  };
}
