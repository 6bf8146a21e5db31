/**
 * A test server, or a bare store, on a redis-server of its own, one per test, for the tests that stop
 * Redis, cut its clients off or start it again: the shared Redis must never see that.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach } from 'vitest';
import { freePort, killRedisServer, startRedisServer, testSealer } from '../stores/redis-harness.js';
import { openRedisStore, type RedisStoreOptions } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { startTestServer, type TestServer } from './test-server.js';

export interface PrivateRedisServer {
  readonly server: TestServer;
  readonly url: string;
  /** Kills the redis-server (SIGKILL: nothing is saved). */
  stopRedis(): Promise<void>;
  /** Starts a new, empty redis-server on the same port. */
  startRedis(): Promise<void>;
}

export function serverOnPrivateRedis(): PrivateRedisServer {
  let port = 0;
  let redis: ChildProcess | undefined;
  let server: TestServer | undefined;
  beforeEach(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
    server = await startTestServer('redis', undefined, { redisUrl: `redis://127.0.0.1:${port}` });
  });
  afterEach(async () => {
    await server?.close();
    if (redis !== undefined) await killRedisServer(redis);
  });
  return {
    get server() {
      if (server === undefined) throw new Error('the server is used outside a test');
      return server;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    stopRedis: async () => {
      if (redis !== undefined) await killRedisServer(redis);
    },
    startRedis: async () => {
      redis = await startRedisServer(port);
    },
  };
}

export interface PrivateRedisStore {
  /** Starts the redis-server and opens a store on it (key prefix `p:`); both end after the test. */
  open(options?: Omit<RedisStoreOptions, 'url' | 'keyPrefix' | 'sealer'>): Promise<Store>;
  readonly url: string;
  /** The redis-server process now running (to SIGSTOP it: a Redis that hangs). */
  readonly process: ChildProcess;
  /** Kills the redis-server (SIGKILL: nothing is saved). */
  stopRedis(): Promise<void>;
  /** Starts a new, empty redis-server on the same port. */
  startRedis(): Promise<void>;
}

export function storeOnPrivateRedis(): PrivateRedisStore {
  let port = 0;
  let redis: ChildProcess | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    if (redis !== undefined) await killRedisServer(redis);
    [store, redis] = [undefined, undefined];
  });
  return {
    open: async (options = {}) => {
      port = await freePort();
      redis = await startRedisServer(port);
      store = await openRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'p:', sealer: testSealer(), ...options });
      return store;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get process() {
      if (redis === undefined) throw new Error('no redis-server is running');
      return redis;
    },
    stopRedis: async () => {
      if (redis !== undefined) await killRedisServer(redis);
    },
    startRedis: async () => {
      redis = await startRedisServer(port);
    },
  };
}
