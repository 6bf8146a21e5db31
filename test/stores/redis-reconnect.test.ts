/**
 * The Redis adapter's connection rules, without a server: how long it waits between reconnect
 * attempts (forever, once open), which failures count as "Redis is unavailable", when a command's
 * deadline has passed, and what the revocation channel accepts.
 */
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClientOfflineError, ErrorReply, SocketClosedUnexpectedlyError } from 'redis';
import type { RedisClient } from '../../src/stores/redis/connect.js';
import { directConnection } from '../../src/stores/redis/direct-connection.js';
import { isConnectionError, toStoreError } from '../../src/stores/redis/connection-errors.js';
import { withDeadline } from '../../src/stores/redis/deadline.js';
import { guardedRun } from '../../src/stores/redis/guard.js';
import { MAX_RETRY_MS, reconnectDelay, reconnectStrategy } from '../../src/stores/redis/reconnect.js';
import { parseRevocationMessage } from '../../src/stores/redis/revocation-bus.js';
import { StoreUnavailableError } from '../../src/stores/types.js';

describe('redis reconnect strategy', () => {
  it('backs off exponentially to a cap and never gives up once the store has opened', () => {
    const strategy = reconnectStrategy(() => true);
    const ceiling = (retries: number) => reconnectDelay(retries, () => 1);
    expect([0, 1, 2, 3].map(ceiling)).toEqual([50, 100, 200, 400]);
    expect(ceiling(10)).toBe(MAX_RETRY_MS);
    expect(ceiling(1_000_000)).toBe(MAX_RETRY_MS);
    expect(reconnectDelay(1_000_000, () => 0)).toBe(MAX_RETRY_MS / 2);
    for (const retries of [0, 5, 100, 100_000]) expect(strategy(retries)).toBeLessThanOrEqual(MAX_RETRY_MS);
  });

  it('stops at the first failure before the store has opened, so that the open fails fast', () => {
    expect(reconnectStrategy(() => false)(0)).toBe(false);
  });
});

describe('redis connection errors', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

  it('counts a closed, offline or refused connection and a loading Redis as unavailable', () => {
    expect(isConnectionError(new ClientOfflineError())).toBe(true);
    expect(isConnectionError(new SocketClosedUnexpectedlyError())).toBe(true);
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new AggregateError([refused]))).toBe(true);
    expect(isConnectionError(new ErrorReply('LOADING Redis is loading the dataset in memory'))).toBe(true);
  });

  it('lets a script error or a bug through as it is', () => {
    const scriptError = new ErrorReply('ERR user_script:1: Script attempted to access nonexistent global variable');
    expect(isConnectionError(scriptError)).toBe(false);
    expect(toStoreError('grants.load', scriptError)).toBe(scriptError);
    const bug = new TypeError('x is undefined');
    expect(toStoreError('grants.load', bug)).toBe(bug);
  });

  it('names the operation in the StoreUnavailableError it makes', () => {
    const error = toStoreError('grants.load', new ClientOfflineError());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/^Redis is unavailable \(grants\.load\)/);
  });
});

describe('a command deadline', () => {
  /** Busy-waits: the event loop is blocked, as by a long synchronous task. */
  function blockEventLoop(ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until);
  }

  it('rejects when nothing answers in time', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withDeadline(never, 20, () => new Error('no answer'))).rejects.toThrow('no answer');
  });

  it('keeps an answer that arrived while the event loop was blocked past the deadline', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const [[serverSide]] = (await Promise.all([once(server, 'connection'), once(client, 'connect')])) as [[Socket], unknown];
    try {
      const answer = once(client, 'data').then(([chunk]) => String(chunk));
      const bounded = withDeadline(answer, 20, () => new Error('no answer'));
      // Written to the kernel at once; the client can read it only once the block ends, when the
      // timer is long due.
      serverSide.write('+PONG\r\n');
      blockEventLoop(200);
      await expect(bounded).resolves.toBe('+PONG\r\n');
    } finally {
      client.destroy();
      serverSide.destroy();
      server.close();
    }
  });
});

describe('how long an operation waits for Redis', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A connected client whose commands are the test's promises. */
  const connected = directConnection({ isReady: true, isOpen: true } as unknown as RedisClient, 'test');
  const limits = { commandTimeoutMs: 1_000, silenceTimeoutMs: 100 };
  const answerIn = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
  const never = () => new Promise<never>(() => undefined);

  /** Settles `work` while the fake clock runs; returns when it settled (ms) and how. */
  async function settle(work: Promise<unknown>, runFor: number): Promise<{ at: number; outcome: unknown }> {
    let result: { at: number; outcome: unknown } | undefined;
    const started = performance.now();
    work.then(
      (value) => (result = { at: performance.now() - started, outcome: value }),
      (error: unknown) => (result = { at: performance.now() - started, outcome: error }),
    );
    for (let ms = 0; ms < runFor && result === undefined; ms += 10) await vi.advanceTimersByTimeAsync(10);
    if (result === undefined) throw new Error(`not settled after ${runFor} ms`);
    return result;
  }

  it('gives up after the silence window when Redis answers nothing at all', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    const run = guardedRun(connected, limits);
    const { at, outcome } = await settle(run('grants.load', never), 2_000);
    expect(outcome).toBeInstanceOf(StoreUnavailableError);
    expect(at).toBeGreaterThanOrEqual(100);
    expect(at).toBeLessThan(150);
  });

  /** Other commands answered every 50 ms for `ms`: the connection is alive, only busy. */
  function busy(run: ReturnType<typeof guardedRun>, ms: number): Promise<unknown> {
    const answers = Array.from({ length: ms / 50 }, (_, i) => run('grants.create', () => answerIn(50 * (i + 1), true)));
    return Promise.allSettled(answers);
  }

  it('keeps waiting past the silence window while Redis answers other commands (a burst)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    const run = guardedRun(connected, limits);
    const others = busy(run, 600);
    const slow = await settle(run('grants.load', () => answerIn(400, 'late but answered')), 2_000);
    expect(slow).toEqual({ at: 400, outcome: 'late but answered' });
    await vi.advanceTimersByTimeAsync(600);
    await others;
  });

  it('gives up at the limit however busy Redis is', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    const run = guardedRun(connected, { commandTimeoutMs: 300, silenceTimeoutMs: 100 });
    const others = busy(run, 600);
    const stuck = await settle(run('grants.load', never), 2_000);
    expect(stuck.outcome).toBeInstanceOf(StoreUnavailableError);
    expect(stuck.at).toBeGreaterThanOrEqual(300);
    expect(stuck.at).toBeLessThan(350);
    await vi.advanceTimersByTimeAsync(600);
    await others;
  });
});

describe('redis revocation messages', () => {
  it('reads a JSON array of ids and ignores anything else', () => {
    expect(parseRevocationMessage('["a","b"]')).toEqual(['a', 'b']);
    expect(parseRevocationMessage('not json')).toBeNull();
    expect(parseRevocationMessage('{"id":"a"}')).toBeNull();
    expect(parseRevocationMessage('[1]')).toBeNull();
  });
});
