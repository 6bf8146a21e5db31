/**
 * `countByState` on the embedded store beyond the contract: the counts kept by triggers stay right
 * when the sweeper deletes what expired, and a file written before they existed (schema version 1)
 * has its records counted once as it opens.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import { recountByState } from '../support/record-recount.js';
import { envelope, newId } from './contract/context.js';
import { fakeClock, makeTempDir } from './sqlite-harness.js';

const SWEEP_INTERVAL_MS = 1_000;

describe('sqlite store: countByState', () => {
  const temps: Array<ReturnType<typeof makeTempDir>> = [];
  const stores: ReadableStore[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const store of stores.splice(0)) await store.close();
    for (const temp of temps.splice(0)) temp.remove();
  });
  const open = (dataDir: string, clock = fakeClock()) => {
    const store = openSqliteStore({ dataDir, clock: clock.clock, sweepIntervalMs: SWEEP_INTERVAL_MS });
    stores.push(store);
    return store;
  };
  const tempDir = () => {
    const temp = makeTempDir();
    temps.push(temp);
    return temp.dir;
  };

  it('counts the same before and after the sweeper deletes the expired rows', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = fakeClock();
    const store = open(':memory:', clock);
    await store.grants.create(newId(), envelope('loginGrant', 1), 1_000);
    await store.grants.create(newId(), envelope('loginGrant', 1), 5_000);
    const token = { id: newId(), userId: newId(), tokenHash: newId() };
    await store.refreshTokens.create(token, envelope('refreshToken', 1));
    await store.refreshTokens.compareAndSet(token.id, 1, envelope('refreshToken', 2), 1_000);
    await clock.advance(2_000);
    const expected = { loginGrant: { issued: 1 }, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };
    expect(await store.countByState()).toEqual(expected);
    vi.advanceTimersByTime(SWEEP_INTERVAL_MS);
    expect(await store.countByState()).toEqual(expected);
    expect(await store.countByState()).toEqual(await recountByState(store));
  });

  it('counts the records of a file from before the counts (schema version 1) once, as it opens', async () => {
    const dataDir = tempDir();
    const clock = fakeClock();
    const first = open(dataDir, clock);
    const flow = newId();
    await first.flows.create(flow, envelope('loginFlow', 1), null);
    await first.grants.create(newId(), envelope('loginGrant', 1), 600_000);
    await first.close();
    const db = new Database(join(dataDir, 'hass-auth.db'));
    for (const { name } of db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()) db.exec(`DROP TRIGGER ${name}`);
    db.exec('DROP TABLE record_counts');
    // Version 1 had no recorded use either (sqlite-schema.test.ts).
    db.exec('ALTER TABLE refresh_tokens DROP COLUMN last_used_at; ALTER TABLE refresh_tokens DROP COLUMN last_used_ip');
    db.pragma('user_version = 1');
    db.close();

    const reopened = open(dataDir, clock);
    expect(await reopened.countByState()).toEqual({ loginGrant: { issued: 1 }, refreshToken: {}, loginFlow: { issued: 1 }, mfaSetupFlow: {} });
    await reopened.flows.delete(flow);
    expect(await reopened.countByState()).toEqual({ loginGrant: { issued: 1 }, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} });
    await reopened.close();
    // Counted once: opening again (version 2 now) keeps the counts the writes kept.
    expect(await open(dataDir, clock).countByState()).toEqual(await recountByState(stores.at(-1) as ReadableStore));
  });
});
