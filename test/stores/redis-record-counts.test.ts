/**
 * `countByState` on Redis beyond the contract: the one-time fill of the per-state sets from records
 * written before the writes kept them (a walk of many SCAN steps, a prefix holding glob characters,
 * envelopes that do not decode), and the trimming of members whose record expired.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/domain/ids.js';
import { redisKeys } from '../../src/stores/redis/keys.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { eventually, letShortTtlPass, newId, SHORT_TTL_MS } from './contract/context.js';
import { deleteKeysUnder, envelope, keysUnder, rawClient, REDIS_URL, testSealer, uniquePrefix } from './redis-harness.js';

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

/** What a deployment written by a version that kept no counts looks like: records, and no sets nor marker. */
async function forgetCounts(prefix: string): Promise<void> {
  const client = await rawClient();
  try {
    const keys = redisKeys(prefix);
    const machines = ['loginGrant', 'loginFlow', 'mfaSetupFlow', 'refreshToken'] as const;
    const counted = (await keysUnder(client, prefix)).filter((key) =>
      machines.some((machine) => key.startsWith(keys.inState(machine, '', 0)) || key === keys.statesOf(machine, 0)),
    );
    await client.del([...counted, keys.inStateFilled]);
  } finally {
    client.destroy();
  }
}

const tokenKeys = () => ({ id: newId(), userId: newId(), tokenHash: sha256Hex(newId()) });

describe('redis store: countByState', () => {
  it('fills the sets once from the records written before them, in several SCAN steps', async () => {
    const prefix = uniquePrefix();
    const store = await open(prefix);
    for (let batch = 0; batch < 5; batch++) {
      const creates = Array.from({ length: 500 }, (_, n) => store.grants.create(sha256Hex(newId()), envelope(1, n % 5 === 0 ? 'redeemed' : 'issued'), 600_000));
      expect((await Promise.all(creates)).every(Boolean)).toBe(true);
    }
    await forgetCounts(prefix);
    expect((await store.countByState()).loginGrant).toEqual({ issued: 2_000, redeemed: 500 });
    const client = await rawClient();
    try {
      expect(await client.exists(redisKeys(prefix).inStateFilled)).toBe(1);
    } finally {
      client.destroy();
    }
    expect((await store.countByState()).loginGrant).toEqual({ issued: 2_000, redeemed: 500 });
  });

  it('a record transitioned or deleted before the fill reached it is counted as it is now', async () => {
    const prefix = uniquePrefix();
    const store = await open(prefix);
    const [moved, deleted, kept] = [tokenKeys(), tokenKeys(), tokenKeys()];
    for (const keys of [moved, deleted, kept]) expect(await store.refreshTokens.create(keys, envelope(1, 'issued', 'refreshToken'))).toBe(true);
    await forgetCounts(prefix);
    expect(await store.refreshTokens.compareAndSet(moved.id, 1, envelope(2, 'revoked', 'refreshToken'))).toEqual({ ok: true });
    await store.refreshTokens.delete(deleted.id);
    expect((await store.countByState()).refreshToken).toEqual({ issued: 1, revoked: 1 });
  });

  it('fills by the prefix taken literally: another deployment, whose prefix its glob would match, is not counted', async () => {
    const base = uniquePrefix();
    const globby = await open(`${base}a*:`);
    const other = await open(`${base}ab:`);
    await other.flows.create(newId(), envelope(1, 'credentials', 'loginFlow'), 600_000);
    await globby.flows.create(newId(), envelope(1, 'mfa', 'loginFlow'), 600_000);
    await forgetCounts(`${base}a*:`);
    await forgetCounts(`${base}ab:`);
    expect((await globby.countByState()).loginFlow).toEqual({ mfa: 1 });
    expect((await other.countByState()).loginFlow).toEqual({ credentials: 1 });
  });

  it('the fill leaves out a record whose envelope does not decode, and keys of other kinds', async () => {
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
    await forgetCounts(prefix);
    expect((await store.countByState()).loginGrant).toEqual({ issued: 1 });
  });

  it('a count removes the members whose record expired, and forgets a state left with none', async () => {
    const prefix = uniquePrefix();
    const store = await open(prefix);
    await store.grants.create(sha256Hex(newId()), envelope(1, 'redeemed'), SHORT_TTL_MS);
    await store.grants.create(sha256Hex(newId()), envelope(1, 'issued'), SHORT_TTL_MS);
    await store.grants.create(sha256Hex(newId()), envelope(1, 'issued'), 600_000);
    const keys = redisKeys(prefix);
    const client = await rawClient();
    try {
      expect(await client.zCard(keys.inState('loginGrant', 'issued', 0))).toBe(2);
      await letShortTtlPass({ now: () => Date.now(), advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) });
      await eventually(async () => expect((await store.countByState()).loginGrant).toEqual({ issued: 1 }));
      expect(await client.zCard(keys.inState('loginGrant', 'issued', 0))).toBe(1);
      expect(await client.exists(keys.inState('loginGrant', 'redeemed', 0))).toBe(0);
      expect(await client.sMembers(keys.statesOf('loginGrant', 0))).toEqual(['issued']);
    } finally {
      client.destroy();
    }
  });
});
