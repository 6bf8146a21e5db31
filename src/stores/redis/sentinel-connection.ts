/**
 * A master watched by Redis Sentinel (`REDIS_SENTINELS`, `REDIS_SENTINEL_MASTER`), through
 * node-redis' Sentinel client: it asks the sentinels where the master is, sends every command there,
 * and when they promote a replica (a `+switch-master` on their pub/sub, or its periodic scan)
 * reconnects to the new master and moves its subscriptions there. The instances need no restart.
 *
 * Set so that it fails fast like the one-server client (connect.ts), never queueing or repeating:
 * - `maxCommandRediscovers: 0`: a command that failed on the old master is not sent again to the
 *   new one (it may have been applied before the master died: a redeemed code would come back as a
 *   replay), and a topology that cannot be read fails the command (503) instead of retrying it
 *   once a second for up to 16 s; the start fails at once too (sentinel-start.ts).
 * - The client holds a command back while it re-reads the topology; the guard aborts the commands
 *   it gave up on (`abandon`), so that none is applied after its 503.
 * - Master clients: `disableOfflineQueue`, a short connect timeout, the reconnect backoff of
 *   reconnect.ts; no node-redis per-command timeout (guard.ts bounds every wait).
 */
import { createSentinel } from 'redis';
import type { Logger } from '../../domain/logger.js';
import type { RedisConnection } from './connection.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { reconnectDelay } from './reconnect.js';
import { redisScripts } from './scripts/index.js';
import { followChannel } from './sentinel-subscription.js';

export interface SentinelNode {
  host: string;
  port: number;
}

export interface SentinelTarget {
  sentinels: SentinelNode[];
  masterName: string;
}

/** How often the client asks the sentinels for the topology besides hearing their pub/sub. */
const SCAN_INTERVAL_MS = 1_000;

export function createStoreSentinel(target: SentinelTarget, connectTimeoutMs: number) {
  return createSentinel({
    name: target.masterName,
    sentinelRootNodes: target.sentinels,
    maxCommandRediscovers: 0,
    scanInterval: SCAN_INTERVAL_MS,
    // Errors of the master's connections too, not only of its pub/sub one: each may mean a failover began.
    passthroughClientErrorEvents: true,
    commandOptions: { timeout: 0 },
    scripts: redisScripts,
    nodeClientOptions: {
      disableOfflineQueue: true,
      socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: (retries: number) => reconnectDelay(retries) },
    },
    sentinelClientOptions: { socket: { connectTimeout: connectTimeoutMs } },
  });
}

export type StoreSentinel = ReturnType<typeof createStoreSentinel>;

/** `sentinel master "name" via host:port,host:port`: for messages and logs. */
export function describeSentinelTarget({ sentinels, masterName }: SentinelTarget): string {
  return `master "${masterName}" of sentinels ${sentinels.map(({ host, port }) => `${host}:${port}`).join(',')}`;
}

/**
 * What may have interrupted a subscription: any error of the client's connections, or a new master.
 * node-redis' Sentinel object is a prototype-linked copy of the emitter that emits, so a listener
 * removed from it can leave the next ones on an events table the emitter never reads: listeners are
 * added once, here, and subscriptions register with this set instead.
 */
export type TroubleListeners = Set<() => void>;

/** Logs when the master is lost and when a master serves again, not every failed attempt between. */
function watchSentinel(sentinel: StoreSentinel, where: string, trouble: TroubleListeners, logger: Logger | undefined): void {
  let down = false;
  const tell = () => {
    for (const listener of [...trouble]) listener();
  };
  // An `error` listener is always attached: an EventEmitter without one would crash the process.
  sentinel.on('error', (error: unknown) => {
    tell();
    if (down) return;
    down = true;
    logger?.warn({ redis: where, err: describeError(error) }, 'Redis master lost; following the sentinels');
  });
  sentinel.on('topology-change', (event: { type: string; node?: { host: string; port: number } }) => {
    if (event.type !== 'MASTER_CHANGE' || event.node === undefined) return;
    tell();
    logger?.info({ redis: where, master: `${event.node.host}:${event.node.port}` }, 'Redis master changed');
  });
  sentinel.on('ready', () => {
    if (down) logger?.info({ redis: where }, 'Redis master serving');
    down = false;
  });
}

function commandsOf(sentinel: StoreSentinel, abandon: AbortSignal | undefined) {
  return abandon === undefined ? sentinel : sentinel.withCommandOptions({ timeout: 0, abortSignal: abandon });
}

export function sentinelConnection(sentinel: StoreSentinel, where: string, logger?: Logger): RedisConnection {
  let closed = false;
  const subscriptions = new Set<() => void>();
  const trouble: TroubleListeners = new Set();
  watchSentinel(sentinel, where, trouble, logger);
  return {
    where,
    get isReady() {
      return !closed && sentinel.isReady;
    },
    get isClosed() {
      return closed;
    },
    holdsCommands: true,
    commands: (abandon) => commandsOf(sentinel, abandon),
    serverCommands: (abandon) => commandsOf(sentinel, abandon),
    // The master the sentinels name now; a failover during a walk fails its next SCAN (a cursor of the old master).
    masters: async () => [
      {
        where,
        scan: (cursor, options) => sentinel.scan(cursor, options),
        scanIterator: (options) => sentinel.scanIterator(options),
      },
    ],
    subscribe(channel, listener) {
      if (closed) return () => undefined;
      const stop = followChannel(sentinel, trouble, channel, listener, logger);
      subscriptions.add(stop);
      return () => {
        subscriptions.delete(stop);
        stop();
      };
    },
    async close(waitMs) {
      if (closed) return;
      closed = true;
      for (const stop of subscriptions) stop();
      subscriptions.clear();
      try {
        await withDeadline(sentinel.close(), waitMs, () => new Error('close timed out'));
      } catch {
        await sentinel.destroy();
      }
    },
  };
}
