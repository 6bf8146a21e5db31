/**
 * `countByState` on Redis beyond the contract: a walk of many SCAN steps, a prefix holding glob
 * characters, envelopes that do not decode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/domain/ids.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { newId } from './contract/context.js';
import { deleteKeysUnder, envelope, rawClient, REDIS_URL, testSealer, uniquePrefix } from './redis-harness.js';

const opened: Array<{ store: Store; prefix: string }> = [];

async function open(prefix = uniquePrefix()): Promise<Store> {
  const store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
  opened.push({ store, prefix });
  return store;
}

afterEach(async () => {
  for (const { store, prefix } of opened.splice(0)) {
    await store.close();
    await deleteKeysUnder(prefix);
  }
});

describe('redis store: countByState', () => {
  it('adds up a walk of several SCAN steps', async () => {
    const store = await open();
    const creates: Array<Promise<boolean>> = [];
    for (let n = 0; n < 2_500; n++) {
      creates.push(store.grants.create(sha256Hex(newId()), envelope(1, n % 5 === 0 ? 'redeemed' : 'issued'), 600_000));
    }
    expect((await Promise.all(creates)).every(Boolean)).toBe(true);
    expect((await store.countByState()).loginGrant).toEqual({ issued: 2_000, redeemed: 500 });
  });

  it('matches glob characters of the prefix literally: another deployment is not counted', async () => {
    const base = uniquePrefix();
    const globby = await open(`${base}a*:`);
    const other = await open(`${base}ab:`);
    await other.flows.create(newId(), envelope(1, 'credentials', 'loginFlow'), 600_000);
    await globby.flows.create(newId(), envelope(1, 'mfa', 'loginFlow'), 600_000);
    expect((await globby.countByState()).loginFlow).toEqual({ mfa: 1 });
    expect((await other.countByState()).loginFlow).toEqual({ credentials: 1 });
  });

  it('leaves out a record whose envelope does not decode, and keys of other kinds', async () => {
    const prefix = uniquePrefix();
    const store = await open(prefix);
    await store.grants.create('g1', envelope(1), 600_000);
    const client = await rawClient();
    try {
      await client.hSet(`${prefix}grant:broken`, { rev: '1', env: '{"machine": tr' });
      await client.hSet(`${prefix}grant:no-state`, { rev: '1', env: '{"machine":"loginGrant","v":1,"rev":1,"snapshot":{}}' });
      await client.set(`${prefix}grant:a-string`, 'x');
    } finally {
      client.destroy();
    }
    expect((await store.countByState()).loginGrant).toEqual({ issued: 1 });
  });
});
