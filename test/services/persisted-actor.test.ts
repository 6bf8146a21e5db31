import { describe, expect, it, vi } from 'vitest';
import { createRecord, loadRecord, transitionRecord, TooMuchContentionError, type RecordAccess } from '../../src/services/persisted-actor.js';
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
  await createRecord(store.grants, 'loginGrant', 'g1', grantInput(0), 600_000);
  return store.grants;
}

describe('persisted-actor runtime', () => {
  it('writes the next snapshot as the next revision and returns what the machine emitted', async () => {
    const grants = await grantStore();
    const first = await transitionRecord(grants, 'loginGrant', 'g1', redeem('rt1'), { logger: silentLogger() });
    expect(first?.after.value).toBe('redeemed');
    expect(first?.emitted).toEqual([]);
    expect((await grants.load('g1'))?.rev).toBe(2);
    const replay = await transitionRecord(grants, 'loginGrant', 'g1', redeem('rt2'), { logger: silentLogger() });
    expect(replay?.after.value).toBe('revoked');
    expect(replay?.emitted).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: 'rt1' }]);
    expect((await grants.load('g1'))?.rev).toBe(3);
  });

  it('writes nothing when the event changes nothing', async () => {
    const grants = await grantStore();
    const cas = vi.spyOn(grants, 'compareAndSet');
    const other = { ...redeem('rt1'), clientId: 'https://other.example/' };
    const result = await transitionRecord(grants, 'loginGrant', 'g1', other, { logger: silentLogger() });
    expect(result).toMatchObject({ changed: false });
    expect(result?.after.value).toBe('issued');
    expect(cas).not.toHaveBeenCalled();
    expect((await grants.load('g1'))?.rev).toBe(1);
  });

  it('on a lost compare-and-set, recomputes from the record the store returned', async () => {
    const grants = await grantStore();
    const racing: RecordAccess = {
      load: (id) => grants.load(id),
      // Another instance redeems between our read and our write.
      compareAndSet: async (id, rev, next, ttl) => {
        racing.compareAndSet = (...args) => grants.compareAndSet(...args);
        await transitionRecord(grants, 'loginGrant', id, redeem('winner'), { logger: silentLogger() });
        return grants.compareAndSet(id, rev, next, ttl);
      },
    };
    const result = await transitionRecord(racing, 'loginGrant', 'g1', redeem('loser'), { logger: silentLogger() });
    expect(result?.before.value).toBe('redeemed');
    expect(result?.after.value).toBe('revoked');
    expect(result?.emitted).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: 'winner' }]);
    expect((await grants.load('g1'))?.rev).toBe(3);
  });

  it('gives up after maxAttempts conflicts instead of spinning', async () => {
    const grants = await grantStore();
    const stored = await grants.load('g1');
    const alwaysLosing: RecordAccess = {
      load: (id) => grants.load(id),
      compareAndSet: async () => ({ ok: false, current: stored }),
    };
    await expect(
      transitionRecord(alwaysLosing, 'loginGrant', 'g1', redeem('rt1'), { logger: silentLogger(), maxAttempts: 3 }),
    ).rejects.toThrow(TooMuchContentionError);
  });

  it('passes the TTL chosen for the new state to the store', async () => {
    const grants = await grantStore();
    const cas = vi.spyOn(grants, 'compareAndSet');
    await transitionRecord(grants, 'loginGrant', 'g1', redeem('rt1'), {
      logger: silentLogger(),
      ttlAfter: (after) => (after.matches('redeemed') ? 42_000 : undefined),
    });
    expect(cas.mock.calls[0]?.[3]).toBe(42_000);
  });

  it('treats a record it cannot read as absent, logs it, and never overwrites it', async () => {
    const grants = await grantStore();
    const stored = await grants.load('g1');
    if (stored === null) throw new Error('no record');
    await grants.compareAndSet('g1', 1, { ...stored, rev: 2, snapshot: { value: 'vanished-state', context: {} } });
    const logger = silentLogger();
    expect(await transitionRecord(grants, 'loginGrant', 'g1', redeem('rt1'), { logger })).toBeNull();
    expect(await loadRecord(grants, 'loginGrant', 'g1', logger)).toBeNull();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ machine: 'loginGrant', recordId: 'g1' }),
      'unreadable record treated as expired',
    );
    expect((await grants.load('g1'))?.rev).toBe(2);
  });

  it('treats stored text that is not JSON as absent', async () => {
    const garbled: RecordAccess = {
      load: () => Promise.reject(new UnreadableRecordError('stored envelope is not JSON')),
      compareAndSet: () => Promise.reject(new Error('must not write')),
    };
    const logger = silentLogger();
    expect(await transitionRecord(garbled, 'loginGrant', 'g1', redeem('rt1'), { logger })).toBeNull();
    expect(logger.warn).toHaveBeenCalledOnce();
  });

  it('lets store outages through to the caller (they become 503s, not "expired")', async () => {
    const down: RecordAccess = {
      load: () => Promise.reject(new Error('connection refused')),
      compareAndSet: () => Promise.reject(new Error('connection refused')),
    };
    await expect(transitionRecord(down, 'loginGrant', 'g1', redeem('rt1'), { logger: silentLogger() })).rejects.toThrow(
      'connection refused',
    );
  });

  it('creates a record once: a second create with the same id is refused', async () => {
    const store = openSqliteStore({ dataDir: ':memory:', clock: () => 0 });
    const first = await createRecord(store.grants, 'loginGrant', 'same', grantInput(0), null);
    const second = await createRecord(store.grants, 'loginGrant', 'same', grantInput(5), null);
    expect([first.created, second.created]).toEqual([true, false]);
    expect(first.envelope).toMatchObject({ machine: 'loginGrant', v: 2, rev: 1 });
    const loaded = await loadRecord(store.grants, 'loginGrant', 'same', silentLogger());
    expect(loaded?.snapshot.context.issuedAt).toBe(0);
  });
});
