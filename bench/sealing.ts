/**
 * What sealing secrets at rest (src/stores/sealing/) costs on the hot path, in one run, as ratios:
 *
 * 1. A refresh grant's envelope work, as the adapter does it: decode the stored text of a refresh
 *    token (opening its `jwt_key`) and encode the next one (sealing it), with the real sealer and
 *    with one that leaves values as they are (the same code path, no cryptography). The grant opens
 *    the key, then seals it again as the text it opened (sealer.ts remembers it); "without
 *    remembering" encrypts it anew as well.
 * 2. Refresh grants through `app.inject` over SQLite in memory (the fastest store, so the worst
 *    ratio) and over Redis (REDIS_URL, under prefixes of its own, deleted afterwards), each with the
 *    real sealer and with the pass-through one. Rounds alternate (each first every other round) and
 *    the median is kept, so that drift (JIT, GC) hits both alike.
 *
 * Times are this process's CPU time (process.cpuUsage), not wall time: on a machine shared with
 * other work, wall time counts the time slices other processes took.
 *
 *   npx tsx bench/sealing.ts
 */
import { randomBytes } from 'node:crypto';
import { initialTransition } from 'xstate';
import { refreshTokenMachine } from '../machines/refresh-token.js';
import { newId, newSecret } from '../src/domain/ids.js';
import { toEnvelope } from '../src/stores/envelope.js';
import { decodeEnvelope, encodeEnvelope, envelopeCodec } from '../src/stores/envelope-codec.js';
import { openRedisStore } from '../src/stores/redis/redis-store.js';
import { createSealer, type Sealer } from '../src/stores/sealing/sealer.js';
import { openSqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../src/stores/types.js';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../test/stores/redis-harness.js';
import { refreshingApp } from './refreshing-app.js';

const CLIENT_ID = 'http://127.0.0.1:8123/';
const ROUNDS = 15;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const CODEC_OPS = 20_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** The same path with nothing sealed: what the store did before issue 18. */
const passThrough: Sealer = { source: 'none', keyIds: ['00000000'], seal: (value) => value, open: (value) => value, isCurrent: () => true };
const realSealer = () => createSealer([randomBytes(32)], 'bench');

/** Stored text of a refresh token as the refresh grant finds it (issued, used once). */
function storedToken(sealer: Sealer, id: string): string {
  const [snapshot] = initialTransition(refreshTokenMachine, {
    id, userId: newId(), clientId: CLIENT_ID, clientName: null, clientIcon: null, tokenType: 'normal', createdAt: Date.now(),
    accessTokenExpirationS: 1800, jwtKey: newSecret(), credentialId: newId(), version: '2025.6.3', firstUse: { at: Date.now(), ip: '127.0.0.1' },
  });
  return envelopeCodec(sealer).encode(id, toEnvelope('refreshToken', snapshot, 1));
}

/**
 * ns per decode + encode of one refresh token record. `remembered: false` writes the next record
 * under another id, so its key is bound elsewhere and sealed anew: what every grant would pay if
 * the sealer did not remember the sealed form of the key it opened.
 */
function codecNs(sealer: Sealer | null, remembered = true): number {
  const codec = sealer === null ? null : envelopeCodec(sealer);
  const id = newId();
  const writtenAs = remembered ? id : newId();
  const text = storedToken(sealer ?? passThrough, id);
  const once = () => {
    const envelope = codec === null ? decodeEnvelope(text) : codec.decode(id, text);
    const next = { ...envelope, rev: envelope.rev + 1 };
    return codec === null ? encodeEnvelope(next) : codec.encode(writtenAs, next);
  };
  for (let i = 0; i < 2_000; i++) once();
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < CODEC_OPS; i++) once();
    rounds.push((cpuMicros(started) * 1000) / CODEC_OPS);
  }
  return median(rounds);
}


/** CPU µs this process used since `started`. */
function cpuMicros(started: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(started);
  return user + system;
}

/** CPU µs per run. */
async function cpuPerRun(run: () => Promise<void>, count: number): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < count; i++) await run();
  return cpuMicros(started) / count;
}

async function compareGrants(label: string, open: (sealer: Sealer) => Promise<Store>): Promise<void> {
  const [plainStore, sealedStore] = [await open(passThrough), await open(realSealer())];
  const plain = await refreshingApp(plainStore);
  const sealed = await refreshingApp(sealedStore);
  await cpuPerRun(plain.refresh, REQUESTS);
  await cpuPerRun(sealed.refresh, REQUESTS);
  const costs = { plain: [] as number[], sealed: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['plain', 'sealed'] as const) : (['sealed', 'plain'] as const);
    for (const which of order) costs[which].push(await cpuPerRun((which === 'plain' ? plain : sealed).refresh, REQUESTS));
  }
  const [a, b] = [median(costs.plain), median(costs.sealed)];
  console.log(`${label}: refresh grant CPU µs, not sealed ${a.toFixed(0)}, sealed ${b.toFixed(0)}; ratio ${(b / a).toFixed(3)} (${(b - a).toFixed(1)} µs)`);
  await plain.app.close();
  await sealed.app.close();
  await plainStore.close();
  await sealedStore.close();
}

const bare = codecNs(null);
const through = codecNs(passThrough);
const sealed = codecNs(realSealer());
const unremembered = codecNs(realSealer(), false);
console.log(`refresh-token record, decode + encode (ns): plain JSON ${bare.toFixed(0)}, codec not sealing ${through.toFixed(0)}, sealed ${sealed.toFixed(0)}, sealed without remembering ${unremembered.toFixed(0)}`);
const added = (ns: number) => `${((ns - through) / 1000).toFixed(1)} µs`;
console.log(`  ratio to not sealing: sealed ${(sealed / through).toFixed(2)} (+${added(sealed)}), without remembering ${(unremembered / through).toFixed(2)} (+${added(unremembered)})`);

await compareGrants('sqlite', async (sealer) => openSqliteStore({ dataDir: ':memory:', clock: () => Date.now(), sealer }));
const prefixes: string[] = [];
try {
  await compareGrants('redis', async (sealer) => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    return openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer });
  });
} finally {
  for (const prefix of prefixes) await deleteKeysUnder(prefix);
}
