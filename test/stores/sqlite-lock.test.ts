/**
 * The embedded store serves one process (ARCHITECTURE.md, "Stores"): a second process opening the
 * same DATA_DIR must fail at open, naming the directory, and the lock must go with the process that
 * held it, on close or on kill -9, leaving nothing stale behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/types.js';
import { makeTempDir } from './sqlite-harness.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('fixtures/open-sqlite-store.ts', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Another hass-auth process opening `dataDir` (cwd at the project root, where `tsx` resolves). */
function startSecondProcess(dataDir: string, mode: 'once' | 'hold'): { child: ChildProcess; output: () => string; exit: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dataDir, mode], { cwd: projectRoot });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, output: () => stdout, exit };
}

describe('sqlite store: DATA_DIR lock', () => {
  let temp: ReturnType<typeof makeTempDir>;
  const opened: Store[] = [];
  const children: ChildProcess[] = [];
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const store of opened.splice(0)) await store.close();
    temp.remove();
  });
  const open = () => {
    const store = openSqliteStore({ dataDir: temp.dir });
    opened.push(store);
    return store;
  };

  it('a second process opening a held DATA_DIR exits non-zero, naming the directory', async () => {
    open();
    const second = startSecondProcess(temp.dir, 'once');
    children.push(second.child);
    const exit = await second.exit;
    expect(exit.code).toBe(3);
    expect(exit.stderr).toContain(`DATA_DIR ${temp.dir} is in use by another hass-auth process`);
    expect(exit.stdout).not.toContain('opened');
  });

  it('once the first store is closed, another process opens the directory', async () => {
    const first = open();
    await first.close();
    const second = startSecondProcess(temp.dir, 'once');
    children.push(second.child);
    const exit = await second.exit;
    expect(exit).toMatchObject({ code: 0, stderr: '' });
    expect(exit.stdout).toContain('opened');
  });

  it('a holder killed with SIGKILL leaves no stale lock', async () => {
    const holder = startSecondProcess(temp.dir, 'hold');
    children.push(holder.child);
    await expect.poll(holder.output, { timeout: 10_000 }).toContain('holding');
    expect(() => open()).toThrow(DataDirLockedError);
    holder.child.kill('SIGKILL');
    expect((await holder.exit).signal).toBe('SIGKILL');
    const store = open();
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('within one process too, a second open throws DataDirLockedError naming the directory', async () => {
    const first = open();
    let thrown: unknown;
    try {
      open();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DataDirLockedError);
    expect(thrown).toMatchObject({
      name: 'DataDirLockedError',
      dataDir: temp.dir,
      message: `DATA_DIR ${temp.dir} is in use by another hass-auth process`,
    });
    await expect(first.ping()).resolves.toBeUndefined();
  });
});
