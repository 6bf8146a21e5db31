import { describe, expect, it, vi } from 'vitest';
import { actorHandle, TooMuchContentionError } from '../../src/runtime/actor-handle.js';
import { loadRecord } from '../../src/runtime/records.js';
import { UnreadableRecordError } from '../../src/stores/envelope-codec.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ActorRecords } from '../../src/stores/types.js';
import { silentLogger } from '../support/logger.js';

const clientId = 'https://app.example/';
const grantInput = (issuedAt: number) => ({
  codeId: 'code-id',
  clientId,
  credential: { id: 'cred', authProviderType: 'homeassistant', authProviderId: null, data: { username: 'alice' }, lookupKey: 'alice' },
  issuedAt,
  codeChallenge: null,
});
const redeem = (refreshTokenId: string, now = 1_000) => ({ type: 'REDEEM' as const, now, clientId, refreshTokenId, proof: null });

async function grantStore(): Promise<ActorRecords> {
  const store = openSqliteStore({ dataDir: ':memory:', clock: () => 0 });
  await actorHandle('loginGrant', store.grants, { logger: silentLogger() }).create('g1', grantInput(0), 0, (envelope, audit) => store.grants.create('g1', envelope, 600_000, audit));
  return store.grants;
}

describe('an actor handle (src/runtime)', () => {
  it('writes the next snapshot as the next revision and returns what the machine emitted', async () => {
    const grants = await grantStore();
    const first = await actorHandle('loginGrant', grants, { logger: silentLogger() }).transition('g1', redeem('rt1'));
    expect(first?.after.value).toBe('redeemed');
    expect(first?.emitted).toEqual([]);
    expect((await grants.load('g1'))?.rev).toBe(2);
    const replay = await actorHandle('loginGrant', grants, { logger: silentLogger() }).transition('g1', redeem('rt2'));
    expect(replay?.after.value).toBe('revoked');
    expect(replay?.emitted).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: 'rt1' }]);
    expect((await grants.load('g1'))?.rev).toBe(3);
  });

  it('writes nothing when the event changes nothing', async () => {
    const grants = await grantStore();
    const cas = vi.spyOn(grants, 'compareAndSet');
    const other = { ...redeem('rt1'), clientId: 'https://other.example/' };
    const result = await actorHandle('loginGrant', grants, { logger: silentLogger() }).transition('g1', other);
    expect(result).toMatchObject({ changed: false });
    expect(result?.after.value).toBe('issued');
    expect(cas).not.toHaveBeenCalled();
    expect((await grants.load('g1'))?.rev).toBe(1);
  });

  it('on a lost compare-and-set, recomputes from the record the store returned', async () => {
    const grants = await grantStore();
    const racing: Pick<ActorRecords, 'load' | 'compareAndSet'> = {
      load: (id) => grants.load(id),
      // Another instance redeems between our read and our write.
      compareAndSet: async (id, rev, next, ttl) => {
        racing.compareAndSet = (...args) => grants.compareAndSet(...args);
        await actorHandle('loginGrant', grants, { logger: silentLogger() }).transition(id, redeem('winner'));
        return grants.compareAndSet(id, rev, next, ttl);
      },
    };
    const result = await actorHandle('loginGrant', racing, { logger: silentLogger() }).transition('g1', redeem('loser'));
    expect(result?.before.value).toBe('redeemed');
    expect(result?.after.value).toBe('revoked');
    expect(result?.emitted).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: 'winner' }]);
    expect((await grants.load('g1'))?.rev).toBe(3);
  });

  it('gives up after maxAttempts conflicts instead of spinning', async () => {
    const grants = await grantStore();
    const stored = await grants.load('g1');
    const alwaysLosing: Pick<ActorRecords, 'load' | 'compareAndSet'> = {
      load: (id) => grants.load(id),
      compareAndSet: async () => ({ ok: false, current: stored }),
    };
    await expect(
      actorHandle('loginGrant', alwaysLosing, { logger: silentLogger(), maxAttempts: 3 }).transition('g1', redeem('rt1')),
    ).rejects.toThrow(TooMuchContentionError);
  });

  it('passes the TTL chosen for the new state to the store', async () => {
    const grants = await grantStore();
    const cas = vi.spyOn(grants, 'compareAndSet');
    await actorHandle('loginGrant', grants, {
      logger: silentLogger(),
      ttlAfter: (after) => (after.matches('redeemed') ? 42_000 : undefined),
    }).transition('g1', redeem('rt1'));
    expect(cas.mock.calls[0]?.[3]).toBe(42_000);
  });

  it('treats a record it cannot read as absent, logs it, and never overwrites it', async () => {
    const grants = await grantStore();
    const stored = await grants.load('g1');
    if (stored === null) throw new Error('no record');
    await grants.compareAndSet('g1', 1, { ...stored, rev: 2, snapshot: { value: 'vanished-state', context: {} } });
    const logger = silentLogger();
    expect(await actorHandle('loginGrant', grants, { logger }).transition('g1', redeem('rt1'))).toBeNull();
    expect(await loadRecord(grants, 'loginGrant', 'g1', logger)).toBeNull();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ machine: 'loginGrant', recordId: 'g1' }),
      'unreadable record treated as expired',
    );
    expect((await grants.load('g1'))?.rev).toBe(2);
  });

  it('treats stored text that is not JSON as absent', async () => {
    const garbled: Pick<ActorRecords, 'load' | 'compareAndSet'> = {
      load: () => Promise.reject(new UnreadableRecordError('stored envelope is not JSON')),
      compareAndSet: () => Promise.reject(new Error('must not write')),
    };
    const logger = silentLogger();
    expect(await actorHandle('loginGrant', garbled, { logger }).transition('g1', redeem('rt1'))).toBeNull();
    expect(logger.warn).toHaveBeenCalledOnce();
  });

  it('lets store outages through to the caller (they become 503s, not "expired")', async () => {
    const down: Pick<ActorRecords, 'load' | 'compareAndSet'> = {
      load: () => Promise.reject(new Error('connection refused')),
      compareAndSet: () => Promise.reject(new Error('connection refused')),
    };
    await expect(actorHandle('loginGrant', down, { logger: silentLogger() }).transition('g1', redeem('rt1'))).rejects.toThrow(
      'connection refused',
    );
  });

  it('creates a record once: a second create with the same id is refused', async () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: () => 0 });
    const first = await actorHandle('loginGrant', store.grants, { logger: silentLogger() }).create('same', grantInput(0), 0, (envelope, audit) => store.grants.create('same', envelope, null, audit));
    const second = await actorHandle('loginGrant', store.grants, { logger: silentLogger() }).create('same', grantInput(5), 0, (envelope, audit) => store.grants.create('same', envelope, null, audit));
    expect([first.created, second.created]).toEqual([true, false]);
    expect(first.envelope).toMatchObject({ machine: 'loginGrant', v: 2, rev: 1 });
    const loaded = await loadRecord(store.grants, 'loginGrant', 'same', silentLogger());
    expect(loaded?.snapshot.context.issuedAt).toBe(0);
  });

  it('judges a step by the fields it set: equal values write nothing, one new value writes, and `next` is encoded only when a write asks', async () => {
    const handle = actorHandle('refreshToken', { load: async () => null, compareAndSet: async () => ({ ok: true }) }, { logger: silentLogger() });
    const loaded = handle.initial({
      id: 'rt1', userId: 'u1', clientId, clientName: null, clientIcon: null, tokenType: 'normal', createdAt: 0,
      accessTokenExpirationS: 1800, jwtKey: 'k'.repeat(128), credentialId: null, version: null,
    });
    const asked: number[] = [];
    const write = vi.fn(async (_id: string, _rev: number, next: () => { rev: number }) => {
      asked.push(next().rev);
      return { ok: true as const };
    });
    // The token has an expiry: the machine's `setExpiry` assigns nothing new (a new context, equal fields).
    const same = await handle.transition('rt1', { type: 'SET_EXPIRY', now: 5, enable: true }, { loaded, write });
    expect(same).toMatchObject({ changed: false });
    expect(write).not.toHaveBeenCalled();
    const cleared = await handle.transition('rt1', { type: 'SET_EXPIRY', now: 5, enable: false }, { loaded, write });
    expect(cleared).toMatchObject({ changed: true });
    expect(cleared?.after.context.expireAt).toBeNull();
    expect(asked).toEqual([2]);
    // A write that keeps no envelope (a use kept beside it) need not ask for one: the step still lands.
    const uses = await handle.transition('rt1', { type: 'USE', now: 9, ip: null }, { loaded, write: async () => ({ ok: true }) });
    expect(uses?.after.context.lastUsedAt).toBe(9);
  });
});
