/**
 * The processes the tests run (the service, haproxy, nginx): what they wrote, when they exited, and
 * a stop that cannot hang a test (SIGKILL once the grace period is over).
 */
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const STOP_GRACE_MS = 5_000;

/** Resolves with the exit code (null when a signal ended the process). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal` to `pid`'s process group (a detached child leads its own); a group already gone is stopped. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Sends `signal` (to the child's whole process group when `group`: a detached child and what it
 * started), then SIGKILL after a grace period; resolves with the child's exit code.
 */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', group = false): Promise<number | null> {
  const exit = exitOf(child);
  const send = (sent: NodeJS.Signals) => (group && child.pid !== undefined ? signalGroup(child.pid, sent) : child.kill(sent));
  send(signal);
  const timer = setTimeout(() => send('SIGKILL'), STOP_GRACE_MS);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

/** Everything the process writes to stdout and stderr, from now on. */
export function collectOutput(child: ChildProcess): () => string {
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return () => out;
}

/** Polls `ready` until it holds, the child exits, or `timeoutMs` passes: which came first. */
export async function untilReady(child: ChildProcess, ready: () => Promise<boolean>, timeoutMs: number): Promise<'ready' | 'exited' | 'timed out'> {
  const started = Date.now();
  while (!(await ready())) {
    if (hasExited(child)) return 'exited';
    if (Date.now() - started > timeoutMs) return 'timed out';
    await sleep(50);
  }
  return 'ready';
}
