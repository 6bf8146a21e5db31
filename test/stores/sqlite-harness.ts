/** Test helpers for the embedded store: a fake clock it reads, temp data directories, contract harnesses. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/domain/clock.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { StoreHarness, TestClock } from './contract.js';

/** A clock that moves only when told: the store reads `clock`, the test calls `advance`. */
export function fakeClock(start = Date.UTC(2025, 0, 1)): TestClock & { clock: Clock } {
  let now = start;
  return {
    clock: () => now,
    now: () => now,
    advance: async (ms) => {
      now += ms;
    },
  };
}

export function makeTempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hass-auth-sqlite-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const memoryHarness: StoreHarness = {
  open: async () => {
    const clock = fakeClock();
    const store = openSqliteStore({ dataDir: ':memory:', clock: clock.clock });
    return { store, clock, cleanup: () => store.close() };
  },
};

export const fileHarness: StoreHarness = {
  open: async () => {
    const clock = fakeClock();
    const temp = makeTempDir();
    const store = openSqliteStore({ dataDir: temp.dir, clock: clock.clock });
    return {
      store,
      clock,
      cleanup: async () => {
        await store.close();
        temp.remove();
      },
    };
  },
};
