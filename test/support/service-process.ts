/**
 * Runs the real service (`src/main.ts`, as `npm start` does) in a child process on a free port, for
 * tests that need a whole process: start-up, shutdown, several instances on one Redis. An instance
 * is ready once `GET /health` answers 200, whatever its log level.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../stores/redis-harness.js';
import { collectOutput, exitOf, stopChild, untilReady } from './child-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Generous: on a loaded machine (other suites, browsers) processes compiling with tsx start slowly. */
export const READY_TIMEOUT_MS = 45_000;

export interface ServiceProcess {
  child: ChildProcess;
  baseUrl: string;
  /** What the process wrote to stdout and stderr. */
  output: () => string;
  /**
   * Sends `signal` (SIGKILL after a grace period) and resolves with the exit code; started with
   * `viaNpmStart`, to npm's whole process group.
   */
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
  /**
   * Run `npm start` itself (package.json's script), in a process group of its own so that a test
   * can signal the group as a terminal's Ctrl-C does; `child` is then npm's process.
   */
  viaNpmStart?: boolean;
}

function launch(env: Record<string, string>, { entry = 'src/main.ts', nodeArgs = [], viaNpmStart = false }: LaunchOptions = {}): ChildProcess {
  const environment = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env };
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  if (viaNpmStart) {
    // No update check: npm would ask the registry, and `npm start` needs nothing from it.
    return spawn('npm', ['start'], { cwd: root, env: { ...environment, npm_config_update_notifier: 'false' }, stdio, detached: true });
  }
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], { cwd: root, env: environment, stdio });
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
  const output = collectOutput(child);
  // npm's process alone would leave the service running: stop the whole group it leads.
  const stop = (signal: NodeJS.Signals) => stopChild(child, signal, options.viaNpmStart === true);
  const baseUrl = `http://127.0.0.1:${port}`;
  const outcome = await untilReady(child, () => answersHealth(baseUrl), READY_TIMEOUT_MS);
  if (outcome === 'exited') throw new Error(`service exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
  if (outcome === 'timed out') {
    await stop('SIGKILL');
    throw new Error(`service not ready after ${READY_TIMEOUT_MS} ms:\n${output()}`);
  }
  return { child, baseUrl, output, stop: (signal = 'SIGTERM') => stop(signal) };
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
