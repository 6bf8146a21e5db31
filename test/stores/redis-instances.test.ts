/**
 * Several service instances on one Redis (ARCHITECTURE.md, "No instance owns state"): two stores on
 * the same prefix see each other's writes, race on compare-and-set with one winner, and hear each
 * other's revocations; a store on another prefix sees and hears none of it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { deleteKeysUnder, envelope, eventually, REDIS_URL, testSealer, uniquePrefix } from './redis-harness.js';

let prefix: string;
let otherPrefix: string;
let a: Store;
let b: Store;
let elsewhere: Store;

beforeEach(async () => {
  prefix = uniquePrefix();
  otherPrefix = uniquePrefix();
  [a, b, elsewhere] = await Promise.all([
    openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() }),
    openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() }),
    openRedisStore({ url: REDIS_URL, keyPrefix: otherPrefix, sealer: testSealer() }),
  ]);
});
afterEach(async () => {
  await Promise.all([a.close(), b.close(), elsewhere.close()]);
  await Promise.all([deleteKeysUnder(prefix), deleteKeysUnder(otherPrefix)]);
});

/** Resolves once `store`'s own subscription hears a publish, so that later publishes reach it. */
async function listening(store: Store): Promise<string[]> {
  const heard: string[] = [];
  const marker = `ready-${randomUUID()}`;
  store.revocations.subscribe((id) => heard.push(id));
  await store.revocations.publish([marker]);
  await eventually(async () => expect(heard).toContain(marker), 2_000);
  heard.length = 0;
  return heard;
}

describe('redis store: two instances on one prefix', () => {
  it("see each other's records, and another prefix sees none", async () => {
    expect(await a.grants.create('g1', envelope(1), 60_000)).toBe(true);
    expect(await b.grants.load('g1')).toEqual(envelope(1));
    expect(await b.grants.create('g1', envelope(1), 60_000)).toBe(false);
    expect(await elsewhere.grants.load('g1')).toBeNull();
  });

  it('let exactly one of two racing compare-and-sets win; the loser gets the winner envelope', async () => {
    await a.grants.create('g1', envelope(1), 60_000);
    const [fromA, fromB] = await Promise.all([
      a.grants.compareAndSet('g1', 1, envelope(2, 'redeemed')),
      b.grants.compareAndSet('g1', 1, envelope(2, 'revoked')),
    ]);
    const results = [fromA, fromB];
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const stored = await a.grants.load('g1');
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, current: stored });
  });

  it("deliver one instance's revocation to the other's listeners, each id once, and not to another prefix", async () => {
    const heardByB = await listening(b);
    const heardElsewhere = await listening(elsewhere);
    await a.revocations.publish(['rt1', 'rt2']);
    await eventually(async () => expect(heardByB).toEqual(['rt1', 'rt2']), 2_000);
    // A publish on `elsewhere` after a's: once it arrives, a's would have arrived before it.
    await elsewhere.revocations.publish(['own']);
    await eventually(async () => expect(heardElsewhere).toEqual(['own']), 2_000);
  });

  it('stop calling a listener once it unsubscribed', async () => {
    const heard = await listening(b);
    const late: string[] = [];
    const unsubscribe = b.revocations.subscribe((id) => late.push(id));
    unsubscribe();
    await a.revocations.publish(['rt1']);
    await eventually(async () => expect(heard).toEqual(['rt1']), 2_000);
    expect(late).toEqual([]);
  });
});
