/**
 * `npm start` as the README runs it, and as a process manager or a terminal stops it: a signal to the
 * npm process must reach the service. npm forwards SIGTERM and SIGINT to the script's process, and
 * the script `exec`s node, so no shell stands between them (with `sh -c 'tsx src/main.ts'` the
 * shell died of the signal, npm with it, and the server went on answering as an orphan). Each case
 * signals the npm process only, or its whole process group as a Ctrl-C does, and shows:
 * - the service drained: an open WebSocket closes with 1001, which only the shutdown sends;
 * - npm exits 0 (what the service exited with);
 * - nothing is left: every process npm started is gone and the port refuses connections.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exitOf, signalGroup } from './support/child-process.js';
import { READY_TIMEOUT_MS, startService, type ServiceProcess } from './support/service-process.js';
import { TestSocket } from './support/ws-client.js';

/** main.ts's bound on a shutdown, and a margin for npm to exit after the service. */
const EXIT_WITHIN_MS = 12_000;

/** The processes below `pid`, from /proc (Linux): every one npm started, however deep. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    frontier = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...frontier);
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether a TCP connection to the service's port is refused. */
function refused(baseUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const CASES: Array<[string, (npm: ServiceProcess) => void]> = [
  ['SIGTERM to the npm process', (npm) => npm.child.kill('SIGTERM')],
  ['SIGINT to the npm process', (npm) => npm.child.kill('SIGINT')],
  // A terminal's Ctrl-C: the service gets SIGINT from the terminal, then npm's forwarded one.
  ['SIGINT to the whole process group (Ctrl-C)', (npm) => signalGroup(npm.child.pid ?? 0, 'SIGINT')],
];

describe('npm start', () => {
  const running: ServiceProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((npm) => npm.stop('SIGKILL')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it.each(CASES)(
    '%s drains the service, exits 0 and leaves no process behind',
    async (_name, signal) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'hass-auth-npm-start-'));
      dirs.push(dataDir);
      const npm = await startService({ DATA_DIR: dataDir }, { viaNpmStart: true });
      running.push(npm);
      const pid = npm.child.pid ?? 0;
      const started = descendantsOf(pid);
      expect(started.length).toBeGreaterThan(0);
      const socket = await TestSocket.open(npm.baseUrl);
      expect(await socket.next()).toMatchObject({ type: 'auth_required' });

      const exited = exitOf(npm.child);
      signal(npm);
      expect(await socket.closedWithin(EXIT_WITHIN_MS)).toEqual({ code: 1001, reason: 'Server shutting down' });
      expect(await exited).toBe(0);
      expect(npm.child.signalCode).toBeNull();
      await vi.waitFor(() => expect(started.filter(alive)).toEqual([]), { timeout: 2_000, interval: 20 });
      expect(await refused(npm.baseUrl)).toBe(true);
    },
    READY_TIMEOUT_MS + EXIT_WITHIN_MS,
  );
});
