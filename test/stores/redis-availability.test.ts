/**
 * Fail fast, recover without a restart (ARCHITECTURE.md, "Stores": HTTP answers 503 while Redis is
 * down, nothing waits in an unbounded queue). "Redis goes away" is a throwaway redis-server of this
 * test's own, killed and started again on the same port; the shared Redis is never touched.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { StoreUnavailableError } from '../../src/stores/types.js';
import { storeOnPrivateRedis } from '../support/private-redis.js';
import { envelope, eventually, rawClient, testSealer } from './redis-harness.js';

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
    const { ms, result } = await timed(openRedisStore({ url: 'redis://admin:s3cret@127.0.0.1:1/0', keyPrefix: 'unused:', sealer: testSealer() }));
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
        openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'unused:', connectTimeoutMs: 300, sealer: testSealer() }),
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
  const redis = storeOnPrivateRedis();

  it('rejects every kind of operation with StoreUnavailableError within 1 s, then works again without reopening', async () => {
    const logged: string[] = [];
    const log = (_details: object, message: string) => void logged.push(message);
    const logger = { info: log, warn: log, error: log };
    const store = await redis.open({ logger });
    expect(await store.grants.create('g1', envelope(1), 60_000)).toBe(true);

    await redis.stopRedis();
    await sleep(50);
    const operations: Array<() => Promise<unknown>> = [
      () => store.ping(),
      () => store.grants.load('g1'),
      () => store.grants.compareAndSet('g1', 1, envelope(2)),
      () => store.refreshTokens.listByUser('u1'),
      () => store.users.listUsers(),
      () => store.revocations.publish(['rt1']),
    ];
    for (const operation of operations) {
      const { ms, result } = await timed(operation());
      expect(rejection(result)).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(1_000);
    }

    await redis.startRedis();
    await eventually(() => store.ping(), 5_000);
    // A fresh server has no scripts cached: EVALSHA falls back to EVAL.
    expect(await store.grants.create('g1', envelope(1), 60_000)).toBe(true);
    expect(await store.grants.compareAndSet('g1', 1, envelope(2))).toEqual({ ok: true });
    expect(await store.grants.load('g1')).toEqual(envelope(2));
    // One line when the connection is lost and one when it is back, not one per attempt.
    expect(logged).toEqual(['Redis connection lost; reconnecting', 'Redis connection restored']);
  });

  it('gives up on a Redis that stops answering without closing the connection, and resumes with it', async () => {
    const store = await redis.open({ commandTimeoutMs: 300 });
    redis.process.kill('SIGSTOP');
    try {
      const { ms, result } = await timed(store.grants.load('g1'));
      expect(rejection(result)).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(1_000);
    } finally {
      redis.process.kill('SIGCONT');
    }
    await eventually(() => store.ping(), 2_000);
    expect(await store.grants.create('g1', envelope(1), 60_000)).toBe(true);
  });

  it('keeps delivering revocations after the subscriber connection was lost and came back', async () => {
    const store = await redis.open();
    const heard: string[] = [];
    store.revocations.subscribe((id) => heard.push(id));
    await store.revocations.publish(['before']);
    await eventually(async () => expect(heard).toEqual(['before']), 2_000);

    await redis.stopRedis();
    await redis.startRedis();
    await eventually(async () => {
      await store.revocations.publish(['after']);
      expect(heard).toContain('after');
    }, 8_000);
  });

  it('tells onMissedMessages listeners once the subscription is back, not before, and hears new publishes by then', async () => {
    const store = await redis.open();
    const heard: string[] = [];
    let missed = 0;
    let missedAfterUnsubscribe = 0;
    store.revocations.subscribe((id) => heard.push(id));
    store.revocations.onMissedMessages(() => (missed += 1));
    const unsubscribe = store.revocations.onMissedMessages(() => (missedAfterUnsubscribe += 1));
    await store.revocations.publish(['before']);
    await eventually(async () => expect(heard).toEqual(['before']), 2_000);
    expect(missed).toBe(0);

    unsubscribe();
    await redis.stopRedis();
    await redis.startRedis();
    // Another instance publishes as soon as Redis is back; whether this one heard it, only the
    // missed-messages signal can tell.
    const other = await rawClient(redis.url);
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
    const store = await redis.open();
    await redis.stopRedis();
    let missed = 0;
    const heard: string[] = [];
    store.revocations.onMissedMessages(() => (missed += 1));
    store.revocations.subscribe((id) => heard.push(id));

    await redis.startRedis();
    const other = await rawClient(redis.url);
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
    const store = await redis.open();
    store.revocations.subscribe(() => undefined);
    await redis.stopRedis();
    const { ms, result } = await timed(store.close());
    expect(result.status).toBe('fulfilled');
    expect(ms).toBeLessThan(1_000);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
