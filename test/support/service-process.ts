/**
 * Runs the real service (`src/main.ts`, as `npm start` does) in a child process on a free port, for
 * tests that need a whole process: start-up, shutdown, several instances on one Redis. An instance
 * is ready once `GET /health` answers 200, whatever its log level.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../stores/redis-harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Generous: on a loaded machine (other suites, browsers) processes compiling with tsx start slowly. */
export const READY_TIMEOUT_MS = 45_000;
const STOP_GRACE_MS = 5_000;

export interface ServiceProcess {
  child: ChildProcess;
  baseUrl: string;
  /** What the process wrote to stdout and stderr. */
  output: () => string;
  /** Sends `signal` (SIGKILL after a grace period) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Another entry point than the service's, or node flags (`--cpu-prof`): what the benchmarks run. */
export interface LaunchOptions {
  /** Relative to the repository's root; `src/main.ts` by default. */
  entry?: string;
  nodeArgs?: string[];
}

function launch(env: Record<string, string>, { entry = 'src/main.ts', nodeArgs = [] }: LaunchOptions = {}): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exit = exitOf(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

async function answersHealth(baseUrl: string): Promise<boolean> {
  try {
    const health = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
    await health.arrayBuffer();
    return health.status === 200;
  } catch {
    return false;
  }
}

/** Starts the service (or `options.entry`) and resolves once it answers `GET /health`. */
export async function startService(env: Record<string, string>, options: LaunchOptions = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = launch({ ...env, PORT: String(port) }, options);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  while (!(await answersHealth(baseUrl))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`service exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`);
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      await stopChild(child, 'SIGKILL');
      throw new Error(`service not ready after ${READY_TIMEOUT_MS} ms:\n${out}`);
    }
    await sleep(50);
  }
  return { child, baseUrl, output: () => out, stop: (signal = 'SIGTERM') => stopChild(child, signal) };
}

/** Runs the service expecting it to stop by itself (a start-up failure). */
export function runServiceToExit(env: Record<string, string>): Promise<Exited> {
  const child = launch(env);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return exitOf(child).then((code) => ({ code, stdout, stderr }));
}
