/**
 * `countByState` on the embedded store (types.ts `RecordCounts`): per table of envelopes, one
 * GROUP BY on the snapshot's state, read with `json_extract` from the stored JSON. Rows past their
 * `expires_at` are left out like every read leaves them out (the sweeper has not deleted them yet);
 * text that is not JSON is left out too, as `load` reports it unreadable.
 */
import type { Database } from 'better-sqlite3';
import type { MachineName } from '../../../machines/index.js';
import type { RecordCounts } from '../types.js';
import { LIVE } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';
import { ENVELOPE_TABLES, type EnvelopeTable } from './schema.js';

/** The machine whose records each table holds. */
const TABLE_MACHINES: Record<EnvelopeTable, MachineName> = {
  grants: 'loginGrant',
  flows: 'loginFlow',
  mfa_setup_flows: 'mfaSetupFlow',
  refresh_tokens: 'refreshToken',
};

interface StateCount {
  state: string;
  n: number;
}

export function sqliteRecordCounts(db: Database, group: GroupCommit): () => Promise<RecordCounts> {
  // A state that is not a string (a nested state's object) comes back as its JSON text.
  const countsOf = ENVELOPE_TABLES.map((table) => ({
    machine: TABLE_MACHINES[table],
    statement: db.prepare<{ now: number }, StateCount>(
      `SELECT state, count(*) AS n FROM (
         SELECT json_extract(envelope, '$.snapshot.value') AS state FROM ${table} WHERE ${LIVE} AND json_valid(envelope)
       ) WHERE state IS NOT NULL GROUP BY state`,
    ),
  }));

  // One read transaction: the four counts see the same moment.
  const count = db.transaction((now: number): RecordCounts => {
    const counts: RecordCounts = { loginGrant: {}, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };
    for (const { machine, statement } of countsOf) {
      for (const { state, n } of statement.all({ now })) counts[machine][String(state)] = n;
    }
    return counts;
  });

  return () => group.read(count);
}
