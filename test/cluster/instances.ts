/**
 * Several real service processes (`src/main.ts`, as `npm start` runs it) on one Redis key prefix,
 * reached over plain HTTP as a load balancer would reach its replicas. Each cluster works under a
 * prefix of its own on the shared Redis and deletes exactly its keys when closed.
 *
 * Not `startService` (test/support/service-process.ts): that one waits for pino's info-level
 * "Server listening at" line, which `LOG_LEVEL=warn` never prints. Here the port is chosen up front
 * and an instance is ready once `GET /health` answers for the Redis store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteKeysUnder, freePort, REDIS_URL, uniquePrefix } from '../stores/redis-harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Generous: on a loaded machine (other test suites, browsers) four processes compiling with tsx start slowly. */
export const READY_TIMEOUT_MS = 45_000;
const STOP_GRACE_MS = 5_000;

export interface Instance {
  name: string;
  baseUrl: string;
  /** What the process wrote to stdout and stderr (warnings and errors only). */
  output(): string;
  /** SIGTERM (SIGKILL after a grace period); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface Cluster {
  prefix: string;
  instances: Instance[];
  /** Stops every instance, then deletes the prefix's keys. */
  close(): Promise<void>;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  const exit = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const health = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await health.json()) as { status?: string; store?: string };
    return health.status === 200 && body.status === 'ok' && body.store === 'redis';
  } catch {
    return false;
  }
}

export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  while (!(await isReady(baseUrl))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`instance ${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${out}`);
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      await stopChild(child);
      throw new Error(`instance ${name} not ready after ${READY_TIMEOUT_MS} ms:\n${out}`);
    }
    await sleep(50);
  }
  return { name, baseUrl, output: () => out, stop: () => stopChild(child) };
}

/** Instances named `names`, all on one fresh prefix of the shared Redis, bcrypt at its real cost. */
export async function startCluster(names: string[]): Promise<Cluster> {
  const prefix = uniquePrefix();
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const results = await Promise.allSettled(names.map((name) => startInstance(name, env)));
  const instances = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const close = async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await deleteKeysUnder(prefix);
  };
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await close();
    throw failed.reason;
  }
  return { prefix, instances, close };
}

export function postJson(instance: Instance, path: string, body: unknown): Promise<Response> {
  return fetch(`${instance.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Form-encoded POST, as OAuth clients send `/auth/token` and `/auth/revoke`. */
export function postForm(instance: Instance, path: string, fields: Record<string, string>): Promise<Response> {
  return fetch(`${instance.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

export function getWithBearer(instance: Instance, path: string, accessToken: string): Promise<Response> {
  return fetch(`${instance.baseUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
}

/**
 * A JSON POST sent from another loopback address (`localAddress`, e.g. 127.0.0.2): what a client
 * behind another IP looks like to the service. fetch cannot choose its source address, node:http can.
 */
export function postJsonFrom(localAddress: string, instance: Instance, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, instance.baseUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
