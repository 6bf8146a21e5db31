/**
 * Runs the real `hass-auth` command line (`node src/cli/hass-auth.js …`, as `npx hass-auth` does) in a
 * child process with exactly the environment given, and the stores it works on.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import { deleteKeysUnder, REDIS_URL, TEST_SECRETS_KEY, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { redisStoredValues, sqliteStoredValues } from '../support/stored-values.js';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const launcher = join(projectRoot, 'src', 'cli', 'hass-auth.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Cost 4 keeps each hash near a millisecond; a test that checks the default passes `{}` as `extraEnv`. */
export const FAST_HASHES = { HASS_AUTH_BCRYPT_ROUNDS: '4' };

/** `node src/cli/hass-auth.js ...args`, or the launcher itself (its shebang) when `direct`. */
export function hassAuth(args: string[], env: Record<string, string>, options: { direct?: boolean } = {}): Promise<CliResult> {
  const [command, argv] = options.direct === true ? [launcher, args] : [process.execPath, [launcher, ...args]];
  const child = spawn(command, argv, { cwd: projectRoot, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh, empty store for one test: the environment that points the CLI at it, and the test's own access. */
export interface CliStore {
  env: Record<string, string>;
  /** Opens the same store in the test process; on SQLite it must be closed before the CLI runs (directory lock). */
  open(): Promise<ReadableStore>;
  /** Every value the store holds, read around it (support/stored-values.ts); on SQLite, with the store closed. */
  storedValues(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export interface CliStoreKind {
  name: 'sqlite' | 'redis';
  create(): CliStore;
}

export const sqliteCliStore: CliStoreKind = {
  name: 'sqlite',
  create() {
    const dir = mkdtempSync(join(tmpdir(), 'hass-auth-cli-'));
    return {
      env: { DATA_DIR: dir },
      open: async () => openSqliteStore({ dataDir: dir }),
      storedValues: async () => sqliteStoredValues(dir),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export const redisCliStore: CliStoreKind = {
  name: 'redis',
  create() {
    const prefix = uniquePrefix();
    return {
      env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, SECRETS_KEY: TEST_SECRETS_KEY },
      open: () => openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() }),
      storedValues: () => redisStoredValues(prefix),
      cleanup: () => deleteKeysUnder(prefix),
    };
  },
};
