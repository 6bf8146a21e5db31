/**
 * The embedded store: the contract suite over `:memory:` and over a file, then what only SQLite has
 * (ARCHITECTURE.md, "Stores"): a file in DATA_DIR that survives restarts, WAL with fsync at commit,
 * a sweeper for expired rows, revision rules enforced at the write.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/stores/sqlite/open-database.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { StoreUnavailableError, type Store } from '../../src/stores/types.js';
import { describeStoreContract } from './contract.js';
import { envelope, newId } from './contract/context.js';
import { makeCredential, makeUser } from './contract/users.js';
import { UnreadableRecordError } from '../../src/stores/envelope-codec.js';
import { fakeClock, fileHarness, makeTempDir, memoryHarness } from './sqlite-harness.js';

describeStoreContract('sqlite store (:memory:)', memoryHarness);
describeStoreContract('sqlite store (file in DATA_DIR)', fileHarness);

const SWEEP_INTERVAL_MS = 1_000;

/** Rows in a table, counted through a connection of our own once the store has let go of the file. */
function countRows(dataDir: string, table: string): number {
  const db = new Database(join(dataDir, 'hass-auth.db'), { readonly: true });
  try {
    return db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()?.n ?? -1;
  } finally {
    db.close();
  }
}

describe('sqlite store: on disk', () => {
  const temps: Array<ReturnType<typeof makeTempDir>> = [];
  const stores: Store[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const store of stores.splice(0)) await store.close();
    for (const temp of temps.splice(0)) temp.remove();
  });
  const tempDir = () => {
    const temp = makeTempDir();
    temps.push(temp);
    return temp.dir;
  };
  const open = (dataDir: string, clock = fakeClock()) => {
    const store = openSqliteStore({ dataDir, clock: clock.clock, sweepIntervalMs: SWEEP_INTERVAL_MS });
    stores.push(store);
    return store;
  };

  it('creates a missing DATA_DIR and hass-auth.db in it', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = open(dataDir);
    await store.close();
    expect(existsSync(join(dataDir, 'hass-auth.db'))).toBe(true);
  });

  it('opens in WAL mode with synchronous=FULL, savepoint journals in memory, foreign keys on, holding the lock', () => {
    const db = openDatabase(tempDir());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      // 2: MEMORY (https://www.sqlite.org/pragma.html#pragma_temp_store).
      expect(db.pragma('temp_store', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('locking_mode', { simple: true })).toBe('exclusive');
    } finally {
      db.close();
    }
  });

  it('reports stored text that is not an envelope as unreadable', async () => {
    const dataDir = tempDir();
    const first = open(dataDir);
    await first.grants.create('g1', envelope('loginGrant', 1), null);
    await first.close();
    const db = new Database(join(dataDir, 'hass-auth.db'));
    db.prepare("UPDATE grants SET envelope = '{\"machine\": tr' WHERE id = 'g1'").run();
    db.close();
    const reopened = open(dataDir);
    await expect(reopened.grants.load('g1')).rejects.toThrow(UnreadableRecordError);
  });

  it('keeps every kind of record across close and reopen', async () => {
    const dataDir = tempDir();
    const clock = fakeClock();
    const first = open(dataDir, clock);
    const [grantId, flowId, tokenId] = [newId(), newId(), newId()];
    const grant = envelope('loginGrant', 1);
    const flow = envelope('loginFlow', 1);
    const token = envelope('refreshToken', 1);
    const keys = { id: tokenId, userId: newId(), tokenHash: newId() + newId() };
    const user = makeUser({ store: first, clock }, { isOwner: true });
    const credential = makeCredential(user.id);
    const password = { username: credential.lookupKey, passwordHash: 'aGFzaA==' };
    expect(await first.grants.create(grantId, grant, 600_000)).toBe(true);
    expect(await first.flows.create(flowId, flow, null)).toBe(true);
    expect(await first.refreshTokens.create(keys, token)).toBe(true);
    expect(await first.users.createUser(user, { asOwner: true })).toBe(true);
    expect(await first.users.addCredential(credential)).toBe(true);
    expect(await first.users.addPassword(password)).toBe(true);
    // Failed logins and bans survive a restart (Home Assistant keeps only the bans, in ip_bans.yaml).
    await first.loginAttempts.recordFailure('203.0.113.7', { threshold: 1, windowMs: 3_600_000, now: 42 });
    await first.loginAttempts.recordFailure('203.0.113.8', { threshold: 5, windowMs: 3_600_000, now: 42 });
    await first.close();

    const second = open(dataDir, clock);
    expect(await second.grants.load(grantId)).toEqual(grant);
    expect(await second.flows.load(flowId)).toEqual(flow);
    expect(await second.refreshTokens.findIdByTokenHash(keys.tokenHash)).toBe(tokenId);
    expect(await second.refreshTokens.listByUser(keys.userId)).toEqual([{ id: tokenId, envelope: token }]);
    expect(await second.users.getUser(user.id)).toEqual(user);
    expect(await second.users.createUser(makeUser({ store: second, clock }, { isOwner: true }), { asOwner: true })).toBe(false);
    expect(await second.users.findCredential('homeassistant', null, credential.lookupKey)).toEqual(credential);
    expect(await second.users.getPassword(password.username)).toEqual(password);
    expect(await second.loginAttempts.listBans()).toEqual([{ ip: '203.0.113.7', bannedAt: 42 }]);
    expect(await second.loginAttempts.failureCount('203.0.113.8')).toBe(1);
    await clock.advance(600_000);
    expect(await second.grants.load(grantId)).toBeNull();
  });

  it('the sweeper deletes expired rows of every table, and only those', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const dataDir = tempDir();
    const clock = fakeClock();
    const store = open(dataDir, clock);
    const tokenKeys = (id: string) => ({ id, userId: 'u', tokenHash: `hash-${id}` });
    await store.grants.create('expired', envelope('loginGrant', 1), 1_000);
    await store.grants.create('live', envelope('loginGrant', 1), 5_000);
    await store.flows.create('expired', envelope('loginFlow', 1), 1_000);
    await store.refreshTokens.create(tokenKeys('expired'), envelope('refreshToken', 1));
    await store.refreshTokens.compareAndSet('expired', 1, envelope('refreshToken', 2), 1_000);
    await store.refreshTokens.create(tokenKeys('live'), envelope('refreshToken', 1));
    await store.loginAttempts.recordFailure('203.0.113.1', { threshold: 1, windowMs: 1_000, now: 0 });
    await store.loginAttempts.recordFailure('203.0.113.2', { threshold: 5, windowMs: 5_000, now: 0 });
    await clock.advance(2_000);
    await store.close();
    const tables = ['grants', 'flows', 'refresh_tokens', 'login_failures', 'ip_bans'];
    // Reads already hide them; until a sweep runs, the rows are still in the file.
    expect(tables.map((table) => countRows(dataDir, table))).toEqual([2, 1, 2, 2, 1]);

    const reopened = open(dataDir, clock);
    vi.advanceTimersByTime(SWEEP_INTERVAL_MS);
    await reopened.close();
    // The ban stays: bans have no expiry.
    expect(tables.map((table) => countRows(dataDir, table))).toEqual([1, 0, 1, 1, 1]);
  });

  it('close stops the sweeper', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const store = open(tempDir());
    expect(vi.getTimerCount()).toBe(1);
    await store.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('sqlite store: in memory', () => {
  it('opens several independent stores at once, without a file or a lock', async () => {
    const a = openSqliteStore({ dataDir: ':memory:' });
    const b = openSqliteStore({ dataDir: ':memory:' });
    const id = newId();
    expect(await a.grants.create(id, envelope('loginGrant', 1), null)).toBe(true);
    expect(await b.grants.load(id)).toBeNull();
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects writes that break the revision rule, and writes nothing', async () => {
    const store = openSqliteStore({ dataDir: ':memory:' });
    const id = newId();
    await expect(store.grants.create(id, envelope('loginGrant', 2), null)).rejects.toThrow(RangeError);
    expect(await store.grants.load(id)).toBeNull();
    const first = envelope('loginGrant', 1);
    expect(await store.grants.create(id, first, null)).toBe(true);
    await expect(store.grants.compareAndSet(id, 1, envelope('loginGrant', 3))).rejects.toThrow(RangeError);
    expect(await store.grants.load(id)).toEqual(first);
    await store.close();
  });

  it('ping rejects with StoreUnavailableError once closed; closing twice is harmless', async () => {
    const store = openSqliteStore({ dataDir: ':memory:' });
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.ping()).rejects.toThrow(StoreUnavailableError);
  });

  it('a throwing revocation listener neither stops the others nor fails the publish', async () => {
    const store = openSqliteStore({ dataDir: ':memory:' });
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const received: string[] = [];
    store.revocations.subscribe(() => {
      throw new Error('socket already gone');
    });
    store.revocations.subscribe((id) => received.push(id));
    await expect(store.revocations.publish(['a', 'b', 'a'])).resolves.toBeUndefined();
    expect(received).toEqual(['a', 'b']);
    expect(warnings).toHaveBeenCalledTimes(2);
    warnings.mockRestore();
    await store.close();
  });
});
