/**
 * What the store decorator (src/observability/instrument-store.ts) costs on a hot path: refresh-grant
 * requests per second through `app.inject`, over SQLite in memory (the fastest store, so the worst
 * ratio) and over Redis (REDIS_URL, under a prefix of its own, deleted afterwards).
 *
 *   npx tsx bench/store-instrumentation.ts
 *
 * buildApp always instruments its store, so an app given an already instrumented store runs two
 * layers: "two layers / one layer" is the cost of one layer, i.e. of instrumenting at all. Rounds
 * alternate between the two apps (each first every other round) and the median is kept, so that
 * drift (JIT, GC) hits both alike.
 * A second measure calls one store method directly, without and with the decorator.
 */
import { instrumentStore } from '../src/observability/instrument-store.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { Store } from '../src/stores/types.js';
import { onBothStores } from './on-both-stores.js';
import { refreshingApp } from './refreshing-app.js';

const ROUNDS = 7;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;


async function perSecond(run: () => Promise<void>, count: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await run();
  return count / ((performance.now() - started) / 1000);
}

async function compare(label: string, open: () => Promise<Store>) {
  const oneStore = await open();
  const twoStore = await open();
  const one = await refreshingApp(oneStore);
  const outer = createMetrics();
  const two = await refreshingApp(instrumentStore(twoStore, outer));
  await perSecond(one.refresh, REQUESTS / 4);
  await perSecond(two.refresh, REQUESTS / 4);
  const roundTrips = async () =>
    (await outer.storeSeconds.get()).values.filter((v) => v.metricName === 'hass_auth_store_seconds_count').reduce((sum, v) => sum + v.value, 0);
  const before = await roundTrips();
  const rates = { one: [] as number[], two: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Each goes first every other round.
    const order = round % 2 === 0 ? (['one', 'two'] as const) : (['two', 'one'] as const);
    for (const which of order) rates[which].push(await perSecond((which === 'one' ? one : two).refresh, REQUESTS));
  }
  const [a, b] = [median(rates.one), median(rates.two)];
  const perRequest = ((await roundTrips()) - before) / (ROUNDS * REQUESTS);
  console.log(`${label}: refresh grants/s, one layer ${a.toFixed(0)}, two layers ${b.toFixed(0)}; ratio ${(b / a).toFixed(3)}; ${perRequest} store round trips per refresh`);

  // One store round trip, bare and decorated.
  const bare = oneStore;
  const decorated = instrumentStore(oneStore, createMetrics());
  const calls = REQUESTS * 10;
  const direct = { bare: [] as number[], decorated: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    direct.bare.push(await perSecond(() => bare.users.getUser('nobody').then(() => undefined), calls));
    direct.decorated.push(await perSecond(() => decorated.users.getUser('nobody').then(() => undefined), calls));
  }
  const [c, d] = [median(direct.bare), median(direct.decorated)];
  const addedUs = (1 / d - 1 / c) * 1e6;
  console.log(`${label}: users.getUser/s, bare ${c.toFixed(0)}, decorated ${d.toFixed(0)}; ratio ${(d / c).toFixed(3)}; ${addedUs.toFixed(2)} µs added per call`);

  await one.app.close();
  await two.app.close();
  await oneStore.close();
  await twoStore.close();
}

await onBothStores(compare);
