/**
 * The store contract suite (test/stores/contract.ts) on a loopback Redis Cluster of three masters
 * with a replica each (test/support/redis-cluster.ts), shared by the file: every script and
 * multi-key command of the layout (src/stores/redis/keys.ts) must stay in one slot, or Redis
 * answers CROSSSLOT and the test fails. Then what only a cluster has: imported tokens whose hash and
 * id name two buckets, and minting in the bucket a joining write needs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, sha256Hex } from '../../src/domain/ids.js';
import { redisKeys } from '../../src/stores/redis/keys.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import { clusterForFile, openClusterStore } from '../support/file-cluster.js';
import { describeStoreContract } from './contract.js';
import { envelope } from './contract/context.js';
import { makeUser } from './contract/users.js';

const cluster = clusterForFile({ masters: 3, replicasPerMaster: 1 });
const openOnCluster = () => openClusterStore(cluster);

describeStoreContract('redis store on a cluster', {
  async open() {
    const store = await openOnCluster();
    return { store, clock: { now: () => Date.now(), advance: (ms: number) => sleep(ms) }, cleanup: () => store.close() };
  },
});

describe('redis store on a cluster: what one server does not have', () => {
  let store: ReadableStore;
  const keys = redisKeys('any:', { cluster: true });
  beforeAll(async () => {
    store = await openOnCluster();
  }, 30_000);
  afterAll(() => store.close());

  /** An id and a token hash that name different buckets, as a token imported from Home Assistant may have. */
  const importedKeys = (userId = newId()) => {
    const id = newId();
    let tokenHash = sha256Hex(newId());
    while (keys.bucketOf(tokenHash) === keys.bucketOf(id)) tokenHash = sha256Hex(newId());
    return { id, userId, tokenHash };
  };
  const placedKeys = (userId = newId()) => {
    const id = newId();
    return { id, userId, tokenHash: sha256Hex(store.placement.near(id, newId, sha256Hex)) };
  };

  it('finds an imported token by its hash, refuses its hash to any other token, and frees the hash when it is deleted', async () => {
    const imported = importedKeys();
    const first = envelope('refreshToken', 1);
    expect(await store.refreshTokens.create(imported, first)).toBe(true);
    expect(await store.refreshTokens.loadByTokenHash(imported.tokenHash)).toEqual({ id: imported.id, envelope: first });
    expect(await store.refreshTokens.findIdByTokenHash(imported.tokenHash)).toBe(imported.id);
    // Another token with the same hash: in the hash's bucket (as minted tokens are), or in a third.
    const inHashBucket = { id: store.placement.near(imported.tokenHash, newId), userId: newId(), tokenHash: imported.tokenHash };
    expect(await store.refreshTokens.create(inHashBucket, envelope('refreshToken', 1))).toBe(false);
    expect(await store.refreshTokens.create({ ...importedKeys(), tokenHash: imported.tokenHash }, envelope('refreshToken', 1))).toBe(false);
    expect(await store.refreshTokens.load(inHashBucket.id)).toBeNull();
    await store.refreshTokens.delete(imported.id);
    expect(await store.refreshTokens.loadByTokenHash(imported.tokenHash)).toBeNull();
    expect(await store.refreshTokens.create(inHashBucket, envelope('refreshToken', 1))).toBe(true);
    expect(await store.refreshTokens.findIdByTokenHash(imported.tokenHash)).toBe(inHashBucket.id);
  });

  it('refuses a minted token\'s hash to an imported one', async () => {
    const minted = placedKeys();
    expect(await store.refreshTokens.create(minted, envelope('refreshToken', 1))).toBe(true);
    const imported = { ...importedKeys(), tokenHash: minted.tokenHash };
    expect(await store.refreshTokens.create(imported, envelope('refreshToken', 1))).toBe(false);
    expect(await store.refreshTokens.load(imported.id)).toBeNull();
    expect(await store.refreshTokens.findIdByTokenHash(minted.tokenHash)).toBe(minted.id);
  });

  it('lists a user\'s tokens from every bucket', async () => {
    const userId = newId();
    const made = Array.from({ length: 24 }, () => placedKeys(userId));
    for (const token of made) expect(await store.refreshTokens.create(token, envelope('refreshToken', 1))).toBe(true);
    expect(new Set(made.map((token) => keys.bucketOf(token.id))).size).toBeGreaterThan(1);
    expect((await store.refreshTokens.listByUser(userId)).map(({ id }) => id).sort()).toEqual(made.map(({ id }) => id).sort());
  });

  it('reads a session\'s user fresh every time, though it remembers whose the token is', async () => {
    const user = makeUser({ store, clock: { now: () => Date.now(), advance: (ms: number) => sleep(ms) } });
    expect(await store.users.createUser(user)).toBe(true);
    const token = placedKeys(user.id);
    expect(await store.refreshTokens.create(token, envelope('refreshToken', 1))).toBe(true);
    expect((await store.refreshTokens.loadSession(token.id))?.user).toEqual(user);
    const deactivated = { ...user, isActive: false };
    expect(await store.users.updateUser(deactivated)).toBe(true);
    expect((await store.refreshTokens.loadSession(token.id))?.user).toEqual(deactivated);
    await store.users.deleteUser(user.id);
    expect((await store.refreshTokens.loadSession(token.id))?.user).toBeNull();
  });

  it('refuses a joining write whose new token is not placed with its record, writing nothing', async () => {
    const grant = newId();
    expect(await store.grants.create(grant, envelope('loginGrant', 1), 60_000)).toBe(true);
    let other = placedKeys();
    while (keys.bucketOf(other.id) === keys.bucketOf(grant)) other = placedKeys();
    await expect(store.grants.redeem(grant, 1, envelope('loginGrant', 2), undefined, { keys: other, envelope: envelope('refreshToken', 1) })).rejects.toThrow(RangeError);
    expect((await store.grants.load(grant))?.rev).toBe(1);
    expect(await store.refreshTokens.load(other.id)).toBeNull();
  });
});
