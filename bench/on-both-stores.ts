/**
 * Runs a comparison on each store: SQLite in memory, then Redis under fresh key prefixes, whose
 * keys are deleted afterwards whatever happened.
 */
import { openRedisStore } from '../src/stores/redis/redis-store.js';
import { openSqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../src/stores/types.js';
import { deleteKeysUnder, REDIS_URL, testSealer, uniquePrefix } from '../test/stores/redis-harness.js';

export type Comparison = (label: string, open: () => Promise<Store>) => Promise<void>;

export async function onBothStores(compare: Comparison): Promise<void> {
  await compare('sqlite', async () => openSqliteStore({ dataDir: ':memory:', clock: () => Date.now() }));
  const prefixes: string[] = [];
  try {
    await compare('redis', async () => {
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      return openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
    });
  } finally {
    for (const prefix of prefixes) await deleteKeysUnder(prefix);
  }
}
