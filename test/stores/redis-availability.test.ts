/**
 * Fail fast, recover without a restart (ARCHITECTURE.md, "Stores": HTTP answers 503 while Redis is
 * down, nothing waits in an unbounded queue). "Redis goes away" is a throwaway redis-server of this
 * test's own, killed and started again on the same port; the shared Redis is never touched.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { StoreUnavailableError, type Store } from '../../src/stores/types.js';
import { envelope, eventually, freePort, killRedisServer, rawClient, startRedisServer } from './redis-harness.js';

async function timed<T>(work: Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [result] = await Promise.allSettled([work]);
  return { ms: Date.now() - started, result: result as PromiseSettledResult<T> };
}

function rejection(result: PromiseSettledResult<unknown>): unknown {
  if (result.status === 'fulfilled') throw new Error('expected a rejection');
  return result.reason;
}

describe('redis store: Redis unreachable at start', () => {
  it('rejects the open with StoreUnavailableError naming the URL without its credentials, in under 3 s', async () => {
    const { ms, result } = await timed(openRedisStore({ url: 'redis://admin:s3cret@127.0.0.1:1/0', keyPrefix: 'unused:' }));
    const error = rejection(result);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain('redis://127.0.0.1:1/0');
    expect((error as Error).message).not.toContain('s3cret');
    expect(ms).toBeLessThan(3_000);
  });

  it('gives up within the connect timeout on something that accepts the connection but never answers', async () => {
    const accepted: Socket[] = [];
    const silent = createServer((socket) => accepted.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    try {
      const { ms, result } = await timed(
        openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'unused:', connectTimeoutMs: 300 }),
      );
      const error = rejection(result);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/no answer within 300 ms/);
      expect(ms).toBeLessThan(1_500);
    } finally {
      accepted.forEach((socket) => socket.destroy());
      silent.close();
    }
  });
});

describe('redis store: Redis goes away and comes back', () => {
  let server: ChildProcess | undefined;
  let store: Store | undefined;

  afterEach(async () => {
    await store?.close();
    if (server !== undefined) await killRedisServer(server);
    store = undefined;
    server = undefined;
  });

  it('rejects every kind of operation with StoreUnavailableError within 1 s, then works again without reopening', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    const logged: string[] = [];
    const log = (_details: object, message: string) => void logged.push(message);
    const logger = { info: log, warn: log, error: log };
    store = await openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'p:', logger });
    expect(await store.grants.create('g1', envelope(1), 60_000)).toBe(true);

    await killRedisServer(server);
    await sleep(50);
    const opened = store;
    const operations: Array<() => Promise<unknown>> = [
      () => opened.ping(),
      () => opened.grants.load('g1'),
      () => opened.grants.compareAndSet('g1', 1, envelope(2)),
      () => opened.refreshTokens.listByUser('u1'),
      () => opened.users.listUsers(),
      () => opened.revocations.publish(['rt1']),
    ];
    for (const operation of operations) {
      const { ms, result } = await timed(operation());
      expect(rejection(result)).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(1_000);
    }

    server = await startRedisServer(port);
    await eventually(() => opened.ping(), 5_000);
    // A fresh server has no scripts cached: EVALSHA falls back to EVAL.
    expect(await opened.grants.create('g1', envelope(1), 60_000)).toBe(true);
    expect(await opened.grants.compareAndSet('g1', 1, envelope(2))).toEqual({ ok: true });
    expect(await opened.grants.load('g1')).toEqual(envelope(2));
    // One line when the connection is lost and one when it is back, not one per attempt.
    expect(logged).toEqual(['Redis connection lost; reconnecting', 'Redis connection restored']);
  });

  it('gives up on a Redis that stops answering without closing the connection, and resumes with it', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    store = await openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'p:', commandTimeoutMs: 300 });
    const opened = store;
    server.kill('SIGSTOP');
    try {
      const { ms, result } = await timed(opened.grants.load('g1'));
      expect(rejection(result)).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(1_000);
    } finally {
      server.kill('SIGCONT');
    }
    await eventually(() => opened.ping(), 2_000);
    expect(await opened.grants.create('g1', envelope(1), 60_000)).toBe(true);
  });

  it('keeps delivering revocations after the subscriber connection was lost and came back', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    store = await openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'p:' });
    const opened = store;
    const heard: string[] = [];
    opened.revocations.subscribe((id) => heard.push(id));
    await opened.revocations.publish(['before']);
    await eventually(async () => expect(heard).toEqual(['before']), 2_000);

    await killRedisServer(server);
    server = await startRedisServer(port);
    await eventually(async () => {
      await opened.revocations.publish(['after']);
      expect(heard).toContain('after');
    }, 8_000);
  });

  it('tells onMissedMessages listeners once the subscription is back, not before, and hears new publishes by then', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    store = await openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'p:' });
    const opened = store;
    const heard: string[] = [];
    let missed = 0;
    let missedAfterUnsubscribe = 0;
    opened.revocations.subscribe((id) => heard.push(id));
    opened.revocations.onMissedMessages(() => (missed += 1));
    const unsubscribe = opened.revocations.onMissedMessages(() => (missedAfterUnsubscribe += 1));
    await opened.revocations.publish(['before']);
    await eventually(async () => expect(heard).toEqual(['before']), 2_000);
    expect(missed).toBe(0);

    unsubscribe();
    await killRedisServer(server);
    server = await startRedisServer(port);
    // Another instance publishes as soon as Redis is back; whether this one heard it, only the
    // missed-messages signal can tell.
    const other = await rawClient(`redis://127.0.0.1:${port}`);
    try {
      await eventually(async () => expect(missed).toBe(1), 8_000);
      await other.publish('p:revocations', JSON.stringify(['after']));
      await eventually(async () => expect(heard).toEqual(['before', 'after']), 2_000);
    } finally {
      other.destroy();
    }
    expect(missed).toBe(1);
    expect(missedAfterUnsubscribe).toBe(0);
  });

  it('reports missed messages when the subscription could start only after Redis came back', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    store = await openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'p:' });
    const opened = store;
    await killRedisServer(server);
    let missed = 0;
    const heard: string[] = [];
    opened.revocations.onMissedMessages(() => (missed += 1));
    opened.revocations.subscribe((id) => heard.push(id));

    server = await startRedisServer(port);
    const other = await rawClient(`redis://127.0.0.1:${port}`);
    try {
      await eventually(async () => expect(missed).toBe(1), 8_000);
      await other.publish('p:revocations', JSON.stringify(['after']));
      await eventually(async () => expect(heard).toEqual(['after']), 2_000);
    } finally {
      other.destroy();
    }
    expect(missed).toBe(1);
  });

  it('closes promptly while Redis is down', async () => {
    const port = await freePort();
    server = await startRedisServer(port);
    const opened = await openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'p:' });
    opened.revocations.subscribe(() => undefined);
    await killRedisServer(server);
    const { ms, result } = await timed(opened.close());
    expect(result.status).toBe('fulfilled');
    expect(ms).toBeLessThan(1_000);
    await expect(opened.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
