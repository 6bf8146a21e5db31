/**
 * `countByState` on the embedded store (types.ts `RecordCounts`), kept by the writes themselves
 * (issue 15): triggers on the envelope tables keep `record_counts` (schema.ts) in the transaction of
 * each insert, compare-and-set and delete, so a count reads that table instead of grouping every row.
 *
 * How expiries leave the counts: `record_counts` counts the rows present, and a row past its
 * `expires_at` stays until the sweeper (sweep.ts) or a create reusing its id deletes it, which the
 * delete trigger then takes off. Until then the count subtracts it: the rows with `expires_at <= now`,
 * found through the `expires_at` index, so a count costs O(states + rows expired since the last
 * sweep), never O(rows). Text that is not JSON, or has no state, is in no count, as `load` reports it
 * unreadable.
 */
import type { Database } from 'better-sqlite3';
import type { RecordCounts } from '../types.js';
import type { GroupCommit } from './group-commit.js';
import { ENVELOPE_TABLES, stateOf, TABLE_MACHINES } from './schema.js';

interface StateCount {
  state: string;
  n: number;
}

export function sqliteRecordCounts(db: Database, group: GroupCommit): () => Promise<RecordCounts> {
  const present = db.prepare<[], StateCount & { machine: string }>('SELECT machine, state, n FROM record_counts WHERE n > 0');
  const expiredOf = ENVELOPE_TABLES.map((table) => ({
    machine: TABLE_MACHINES[table],
    statement: db.prepare<{ now: number }, StateCount>(
      `SELECT state, count(*) AS n FROM (
         SELECT ${stateOf(table)} AS state FROM ${table} WHERE expires_at <= @now
       ) WHERE state IS NOT NULL GROUP BY state`,
    ),
  }));

  // One read transaction: the table and the expired rows seen at the same moment.
  const count = db.transaction((now: number): RecordCounts => {
    const counts: RecordCounts = { loginGrant: {}, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };
    for (const { machine, state, n } of present.all()) {
      if (machine in counts) counts[machine as keyof RecordCounts][state] = n;
    }
    for (const { machine, statement } of expiredOf) {
      for (const { state, n } of statement.all({ now })) {
        const live = (counts[machine][state] ?? 0) - n;
        if (live > 0) counts[machine][state] = live;
        else delete counts[machine][state];
      }
    }
    return counts;
  });

  return () => group.read(count);
}
