/**
 * What `store.countByState()` costs (the inspection page's counts and `hass_auth_records`), with
 * RECORDS refresh tokens of realistic size (4 in 5 `issued`, the rest `revoked`):
 *
 *   npx tsx bench/record-counts.ts          (BENCH_RECORDS=10000 by default)
 *
 * SQLite in memory and in a file (the `record_counts` table its triggers keep), and Redis (REDIS_URL,
 * under a prefix of its own, deleted afterwards: the per-state sets its write scripts keep). Neither
 * reads the records, so the figures should not grow with RECORDS (issue 15); the first Redis count
 * after the fill finds the sets complete, so no walk is timed. Each figure is the median of ROUNDS counts.
 */
import { createActor } from 'xstate';
import { refreshTokenMachine, type RefreshTokenInput } from '../machines/refresh-token.js';
import { newId, sha256Hex } from '../src/domain/ids.js';
import { toEnvelope } from '../src/stores/envelope.js';
import { openRedisStore } from '../src/stores/redis/redis-store.js';
import { openSqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import type { Envelope, Store } from '../src/stores/types.js';
import { deleteKeysUnder, rawClient, REDIS_URL, testSealer, uniquePrefix } from '../test/stores/redis-harness.js';
import { makeTempDir } from '../test/stores/sqlite-harness.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000);
const ROUNDS = 9;
const BATCH = 500;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function tokenEnvelope(id: string, revoked: boolean): Envelope {
  const input: RefreshTokenInput = {
    id, userId: newId(), clientId: 'http://127.0.0.1:8123/', clientName: null, clientIcon: null, tokenType: 'normal',
    createdAt: Date.now(), accessTokenExpirationS: 1800, jwtKey: newId() + newId() + newId() + newId(), credentialId: newId(),
    version: '2025.6.3', firstUse: { at: Date.now(), ip: '192.0.2.7' },
  };
  const actor = createActor(refreshTokenMachine, { input }).start();
  if (revoked) actor.send({ type: 'REVOKE', now: Date.now(), reason: 'revoked' });
  const envelope = toEnvelope('refreshToken', actor.getSnapshot(), 1);
  actor.stop();
  return envelope;
}

async function fill(store: Store): Promise<void> {
  for (let start = 0; start < RECORDS; start += BATCH) {
    const creates = Array.from({ length: Math.min(BATCH, RECORDS - start) }, (_, n) => {
      const id = newId();
      return store.refreshTokens.create({ id, userId: newId(), tokenHash: sha256Hex(id) }, tokenEnvelope(id, (start + n) % 5 === 0));
    });
    await Promise.all(creates);
  }
}

async function measure(label: string, store: Store): Promise<number> {
  await fill(store);
  const counts = await store.countByState();
  const total = Object.values(counts.refreshToken).reduce((sum, n) => sum + n, 0);
  if (total !== RECORDS) throw new Error(`${label}: counted ${total} of ${RECORDS}`);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await store.countByState();
    times.push(performance.now() - started);
  }
  const ms = median(times);
  console.log(`${label.padEnd(16)} ${ms.toFixed(2).padStart(9)} ms per count  (${((ms * 1000) / RECORDS).toFixed(2)} µs per record)`);
  return ms;
}

const sqliteMemory = openSqliteStore({ dataDir: ':memory:' });
const memoryMs = await measure('sqlite :memory:', sqliteMemory);
await sqliteMemory.close();

const temp = makeTempDir();
const sqliteFile = openSqliteStore({ dataDir: temp.dir });
const fileMs = await measure('sqlite file', sqliteFile);
await sqliteFile.close();
temp.remove();

const prefix = uniquePrefix();
const redis = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
try {
  const client = await rawClient();
  const before = await client.dbSize();
  client.destroy();
  console.log(`(Redis holds ${before} keys of others before the fill; each token adds 3: record, hash index, user set)`);
  const redisMs = await measure('redis', redis);
  console.log(`redis / sqlite file: ${(redisMs / fileMs).toFixed(1)}×, redis / sqlite :memory: ${(redisMs / memoryMs).toFixed(1)}×`);
} finally {
  await redis.close();
  await deleteKeysUnder(prefix);
}
