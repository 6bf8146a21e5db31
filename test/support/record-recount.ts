/**
 * recountByState(store): the counts per state that `countByState` must give (types.ts `RecordCounts`),
 * recounted the slow way, from every live record the store holds (`readContents`), for tests that
 * check the counts the writes keep against the records themselves.
 */
import type { ReadableStore, StoreContents } from '../../src/stores/store-contents.js';
import type { RecordCounts } from '../../src/stores/types.js';

/** As the stores name a state: `snapshot.value` when a string, a nested state's value as JSON. */
function stateName(value: unknown): string | null {
  if (typeof value === 'string') return value;
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export async function recountByState(store: Pick<ReadableStore, 'readContents'>): Promise<RecordCounts> {
  return countStates(await store.readContents());
}

/** The counts per state of the records in `contents` (those whose stored text is an envelope). */
export function countStates(contents: StoreContents): RecordCounts {
  const counts: RecordCounts = { loginGrant: {}, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };
  for (const [machine, records] of Object.entries(contents.records) as Array<[keyof RecordCounts, typeof contents.records.loginGrant]>) {
    for (const { envelope } of records) {
      const state = stateName((envelope?.snapshot as { value?: unknown } | undefined)?.value);
      if (state !== null) counts[machine][state] = (counts[machine][state] ?? 0) + 1;
    }
  }
  return counts;
}
