/**
 * Test support for the Redis store: each test run works under a prefix of its own on the shared
 * Redis (never FLUSHDB: others use it) and deletes exactly its keys afterwards. Throwaway
 * `redis-server` processes on a free port let tests stop and restart "Redis" without touching the
 * shared one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { createSealer, type Sealer } from '../../src/stores/sealing/sealer.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import type { Envelope } from '../../src/stores/types.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/** The SECRETS_KEY of every Redis deployment the tests make (processes get it in their environment). */
export const TEST_SECRETS_KEY = '5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1';

/** A sealer over TEST_SECRETS_KEY, as a process given it makes one. */
export function testSealer(): Sealer {
  return createSealer([Buffer.from(TEST_SECRETS_KEY, 'hex')], 'SECRETS_KEY');
}

export function uniquePrefix(): string {
  return `hass-auth-test:${randomUUID()}:`;
}

const plainClient = (url: string) => createClient({ url });
type RawClient = ReturnType<typeof plainClient>;

/** A plain client for looking at what the store wrote. */
export async function rawClient(url = REDIS_URL): Promise<RawClient> {
  const client = plainClient(url);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function keysUnder(client: RawClient, prefix: string): Promise<string[]> {
  const found: string[] = [];
  // The prefix is ours (letters, digits, '-' and ':'), so it holds no glob characters to escape.
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) found.push(...batch);
  return found.sort();
}

export async function deleteKeysUnder(prefix: string): Promise<void> {
  const client = await rawClient();
  try {
    const keys = await keysUnder(client, prefix);
    if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}

/** The harness the contract suite (test/stores/contract.ts) drives: TTLs run on Redis' clock, so time is real. */
export const redisHarness = {
  async open(): Promise<{ store: ReadableStore; clock: { now(): number; advance(ms: number): Promise<void> }; cleanup(): Promise<void> }> {
    const prefix = uniquePrefix();
    const store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
    return {
      store,
      clock: { now: () => Date.now(), advance: (ms: number) => sleep(ms) },
      cleanup: async () => {
        await store.close();
        await deleteKeysUnder(prefix);
      },
    };
  },
};

export function envelope(rev: number, state = 'issued', machine: Envelope['machine'] = 'loginGrant'): Envelope {
  return { machine, v: 1, rev, snapshot: { value: state, context: { n: rev } } };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface RedisServerOptions {
  /**
   * Keep an append-only file in this directory, synced on every write (what docker-compose.yml runs):
   * a server started again on the same directory has every write it acknowledged. Without it the
   * server keeps nothing, and starting it again gives an empty one.
   */
  appendOnlyDir?: string;
  /** More arguments for redis-server (`--replicaof 127.0.0.1 <port>`, say). */
  args?: string[];
}

/** A throwaway Redis on `port`; resolves once it accepts connections (after loading its file, if any). */
export async function startRedisServer(port: number, options: RedisServerOptions = {}): Promise<ChildProcess> {
  // Without a directory of its own a server writes into the working directory: a replica's full
  // sync saves dump.rdb there even with `--save ''`. A throwaway one gets a throwaway directory.
  const scratchDir = options.appendOnlyDir === undefined ? mkdtempSync(join(tmpdir(), 'hass-auth-redis-')) : undefined;
  const persistence =
    options.appendOnlyDir === undefined
      ? ['--appendonly', 'no', '--dir', scratchDir as string]
      : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.appendOnlyDir];
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (scratchDir !== undefined) child.once('exit', () => rmSync(scratchDir, { recursive: true, force: true }));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let waited = 0; waited < 5_000; waited += 20) {
    if (output.includes('Ready to accept connections')) return child;
    if (child.exitCode !== null) break;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on ${port} did not start: ${output}`);
}

export async function killRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Polls `probe` until it resolves, for up to `ms`; returns how long it took. */
export async function eventually(probe: () => Promise<unknown>, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      await probe();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > ms) throw error;
      await sleep(50);
    }
  }
}
