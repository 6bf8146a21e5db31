/**
 * `countByState` on Redis (types.ts `RecordCounts`). Redis keeps no index by state, so counting is
 * a walk: SCAN over the deployment's hashes, and for each record key the state read from its
 * envelope, both inside one script per step (scripts/record-count-scripts.ts), so a step is one
 * round trip and the envelopes never cross the network. That is O(keys in the database) per count
 * (SCAN visits every key, other deployments' too) and each step holds Redis for the records it
 * decodes (STEP_COUNT keys at most): callers cache the answer for a few seconds
 * (services/inspection/record-counts.ts). Every step is its own guarded command, so the deadline applies per
 * step, not to the whole walk.
 *
 * A key written or removed during the walk may be counted or not (SCAN's guarantee covers only keys
 * present throughout); a count is a snapshot of a moving deployment anyway.
 */
import type { MachineName } from '../../../machines/index.js';
import type { RecordCounts } from '../types.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';
import type { RecordStateScanStep } from './scripts/record-count-scripts.js';

/** SCAN's COUNT per step: the keys one script visits (and may decode) before it answers. */
const STEP_COUNT = 1_000;

/** Redis glob characters in the prefix are matched literally. */
export const escapeGlob = (text: string) => text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);

export function redisRecordCounts(run: Run, keys: RedisKeys): () => Promise<RecordCounts> {
  const families: Array<[MachineName, string]> = [
    ['loginGrant', keys.grant('')],
    ['loginFlow', keys.flow('')],
    ['mfaSetupFlow', keys.mfaSetupFlow('')],
    ['refreshToken', keys.refreshToken('')],
  ];
  const stems = families.map(([, stem]) => stem);
  const match = `${escapeGlob(keys.prefix)}*`;

  return async () => {
    const counts: RecordCounts = { loginGrant: {}, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };
    let cursor = '0';
    do {
      const args = [cursor, match, String(STEP_COUNT), ...stems];
      const step: RecordStateScanStep = await run('countByState', (client) => client.recordStateScan([], args));
      for (const { family, state, count } of step.counts) {
        const machine = families[family]?.[0];
        if (machine !== undefined) counts[machine][state] = (counts[machine][state] ?? 0) + count;
      }
      cursor = step.cursor;
    } while (cursor !== '0');
    return counts;
  };
}
