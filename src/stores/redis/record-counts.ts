/**
 * `countByState` on Redis (types.ts `RecordCounts`), kept by the writes themselves (issue 15): every
 * script that creates, transitions or deletes a grant, flow, MFA setup flow or refresh token moves
 * the record's id between the sorted sets `in-state:<machine>:<state>` in the same script
 * (scripts/record-count-scripts.ts KEEP_COUNTS), so a count reads the sets, not the records: one
 * script, O(states + members expired since last trimmed), whatever the number of records.
 *
 * How expiries leave the counts: Redis drops a record at its TTL without any write, so each member is
 * scored with its record's expiry (PEXPIRETIME; +inf without a TTL, a usable refresh token). A count
 * counts only members whose score has not passed and removes the others (ZREMRANGEBYSCORE), and so
 * does one write in 16 that adds to a set: a set holds its live members and those expired since it
 * was last trimmed.
 *
 * Records written before the writes kept counts are in no set. The first count of a deployment whose
 * marker `in-state-filled` is absent fills the sets once from the records (a SCAN of the deployment's
 * keys, one script per step, each record counted in the state its envelope names, as a write would
 * have), then sets the marker and counts. Writes may go on meanwhile: a step adds what a write would
 * add, so neither undoes the other. Instances of a version that did not keep counts, still writing
 * beside new ones, write records the sets miss: delete the marker once they are gone to fill again.
 */
import type { MachineName } from '../../../machines/index.js';
import type { RecordCounts } from '../types.js';
import type { StoreCommands } from './connection.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';
import type { StateCount } from './scripts/record-count-scripts.js';

/** SCAN's COUNT per step of the fill: the keys one script visits before it answers. */
const FILL_STEP_COUNT = 1_000;

/** Redis glob characters in the prefix are matched literally. */
export const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);

const MACHINES: readonly MachineName[] = ['loginGrant', 'loginFlow', 'mfaSetupFlow', 'refreshToken'];

/** Fills the sets from every record of the deployment (the one-time fill above), then sets the marker. */
async function fillFromRecords(run: Run, keys: RedisKeys): Promise<void> {
  const recordStems: Record<MachineName, string> = {
    loginGrant: keys.grant(''),
    loginFlow: keys.flow(''),
    mfaSetupFlow: keys.mfaSetupFlow(''),
    refreshToken: keys.refreshToken(''),
  };
  const families = MACHINES.flatMap((machine) => [recordStems[machine], keys.inState(machine, '', 0), keys.statesOf(machine, 0)]);
  const match = `${escapeGlob(keys.prefix)}*`;
  let cursor = '0';
  do {
    const args = [cursor, match, String(FILL_STEP_COUNT), ...families];
    cursor = await run.write('countByState.fill', (client) => client.recordStateFill([], args));
  } while (cursor !== '0');
  await run.write('countByState.fill', (client) => client.set(keys.inStateFilled, new Date().toISOString()));
}

export function redisRecordCounts(run: Run, keys: RedisKeys): () => Promise<RecordCounts> {
  // One server checks the fill's marker in the count itself. A cluster has no records from before
  // the counts (it came with them), and its buckets are slots apart from the directory (keys.ts):
  // it counts each bucket, all sent together, and adds them up.
  const countOne = (client: StoreCommands, bucket: number) => {
    const marker = keys.cluster ? [] : [keys.inStateFilled];
    const countKeys = [...marker, ...MACHINES.map((machine) => keys.statesOf(machine, bucket))];
    return client.recordStateCount(countKeys, [keys.cluster ? '0' : '1', ...MACHINES.map((machine) => keys.inState(machine, '', bucket))]);
  };
  const buckets = Array.from({ length: keys.buckets }, (_, bucket) => bucket);
  const count = async () => {
    const found = await run('countByState', (client) => Promise.all(buckets.map((bucket) => countOne(client, bucket))));
    return found.some((part) => part === null) ? null : found.flatMap((part) => part ?? []);
  };

  const tally = (found: StateCount[]): RecordCounts => {
    const counts: RecordCounts = { loginGrant: {}, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };
    for (const { family, state, count: n } of found) {
      const machine = MACHINES[family];
      if (machine !== undefined) counts[machine][state] = (counts[machine][state] ?? 0) + n;
    }
    return counts;
  };

  return async () => {
    const found = await count();
    if (found !== null) return tally(found);
    await fillFromRecords(run, keys);
    const filled = await count();
    if (filled === null) throw new Error('countByState: the sets were filled but their marker is gone');
    return tally(filled);
  };
}
