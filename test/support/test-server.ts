/**
 * The real HTTP server on a random loopback port, over a fresh store: SQLite in memory, or the shared
 * Redis under a key prefix of its own (deleted on close). Time is a clock the test moves.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/app.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import type { AuthConfig } from '../../src/auth-config.js';
import type { WebSocketLimits } from '../../src/ws/websocket-route.js';
import { deleteKeysUnder, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { manualTimers, type ManualTimers } from './manual-timers.js';

export type StoreKind = 'sqlite' | 'redis';

export interface TestServer {
  baseUrl: string;
  store: ReadableStore;
  app: FastifyInstance;
  clock: { now: number };
  /** The server's delays (WebSocket timeouts); `advance` moves `clock` too. */
  timers: ManualTimers;
  close(): Promise<void>;
}

export interface TestServerOptions {
  trustProxy?: string[];
  /** Another instance's store (the server then does not close it): two apps over one store. */
  store?: ReadableStore;
  /** Another Redis than the shared one (a private redis-server that a test stops or cuts off). */
  redisUrl?: string;
  websocketLimits?: Partial<WebSocketLimits>;
  /** The configuration file's content (providers, MFA modules, client policies); the defaults when absent. */
  authConfig?: AuthConfig;
  /** Where the server logs; silent when absent. */
  logger?: FastifyBaseLogger;
  /** A Stately inspector server's WebSocket URL, to stream every transition to (STATELY_INSPECT_URL). */
  statelyInspectUrl?: string;
  /** The registry the app records into (shared with a METRICS_PORT listener), and how it serves `/metrics`. */
  metrics?: AppDeps['metrics'];
  metricsRoute?: AppDeps['metricsRoute'];
  /** The instance's name in the live feed; `test-instance` when absent. */
  instanceId?: string;
}

/** A Home Assistant frontend-like client id that passes `verify_client_id`. */
export const CLIENT_ID = 'http://127.0.0.1:8123/';
export const REDIRECT_URI = 'http://127.0.0.1:8123/?auth_callback=1';

export async function startTestServer(
  kind: StoreKind,
  start = Date.UTC(2026, 10, 27, 12),
  options: TestServerOptions = {},
): Promise<TestServer> {
  const clock = { now: start };
  const timers = manualTimers(clock);
  const { redisUrl, websocketLimits, store: shared, ...appOptions } = options;
  const prefix = uniquePrefix();
  const store =
    shared ??
    (kind === 'redis'
      ? await openRedisStore({ url: redisUrl ?? REDIS_URL, keyPrefix: prefix, sealer: testSealer() })
      : openSqliteStore({ dataDir: ':memory:', clock: () => clock.now }));
  // No heartbeat unless a test asks for one: moving the fake clock by days must not drop sockets
  // that had no chance to answer a ping in between.
  const limits = { heartbeatMs: Number.MAX_SAFE_INTEGER, ...websocketLimits };
  const app = await buildApp({ store, clock: () => clock.now, timers, bcryptRounds: 4, instanceId: 'test-instance', websocketLimits: limits, ...appOptions });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    baseUrl,
    store,
    app,
    clock,
    timers,
    async close() {
      await app.close();
      if (shared !== undefined) return;
      await store.close();
      if (kind === 'redis' && redisUrl === undefined) await deleteKeysUnder(prefix);
    },
  };
}

