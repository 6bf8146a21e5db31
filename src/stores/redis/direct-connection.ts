/**
 * One Redis server (`REDIS_URL`): the store's client (connect.ts) sends every command, and each
 * subscription gets a duplicate of it, since a subscribed connection can run nothing but pub/sub
 * commands. node-redis resubscribes after a reconnect (subscribe-channel.ts covers a connection
 * lost before the first SUBSCRIBE was answered) and emits `ready` only once that resubscribe was
 * answered (its socket initiator), so `ready` is when a subscription listens again.
 */
import type { Logger } from '../../domain/logger.js';
import type { ChannelListener, RedisConnection, ScanTarget } from './connection.js';
import { watchConnection, type RedisClient } from './connect.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { subscribeChannel } from './subscribe-channel.js';

export function directConnection(client: RedisClient, where: string, logger?: Logger): RedisConnection {
  const subscribers = new Set<RedisClient>();
  let closed = false;
  return {
    where,
    get isReady() {
      return client.isReady;
    },
    get isClosed() {
      return closed || !client.isOpen;
    },
    // `disableOfflineQueue`: a command is refused at once while disconnected, never held back.
    holdsCommands: false,
    commands: () => client,
    serverCommands: () => client,
    masters: async () => [scanTarget(client, where)],
    subscribe(channel, listener) {
      if (closed) return () => undefined;
      const subscriber = client.duplicate();
      subscribers.add(subscriber);
      let stopped = false;
      void follow(subscriber, channel, listener, () => stopped || closed, `${where} (${channel})`, logger);
      return () => {
        stopped = true;
        subscribers.delete(subscriber);
        // destroy, not close: nothing is pending on a subscriber, and one still reconnecting must stop at once.
        subscriber.destroy();
      };
    },
    async close(waitMs) {
      if (closed) return;
      closed = true;
      for (const subscriber of subscribers) subscriber.destroy();
      subscribers.clear();
      await closeClient(client, waitMs);
    },
  };
}

async function follow(subscriber: RedisClient, channel: string, listener: ChannelListener, isStopped: () => boolean, where: string, logger?: Logger) {
  watchConnection(subscriber, where, logger);
  // Attempts that fail before the subscription holds are a gap too: publishes made meanwhile went unheard.
  const interrupted = () => {
    if (!isStopped()) listener.interrupted();
  };
  subscriber.on('error', interrupted);
  subscriber.on('end', interrupted);
  try {
    // Keeps trying while Redis is down (the store has opened, so the reconnect strategy retries),
    // and until a SUBSCRIBE is answered (subscribe-channel.ts).
    await subscriber.connect();
    if (!(await subscribeChannel(subscriber, channel, (message) => listener.message(message), isStopped))) return;
  } catch (error) {
    if (!isStopped()) logger?.error({ err: describeError(error), channel }, 'Redis: subscribing failed');
    return;
  }
  subscriber.on('ready', () => {
    if (!isStopped()) listener.listening();
  });
  listener.listening();
}

/** Lets commands in flight finish (bounded), then drops the connection. */
async function closeClient(client: RedisClient, waitMs: number): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    client.destroy();
    return;
  }
  try {
    await withDeadline(client.close(), waitMs, () => new Error('close timed out'));
  } catch {
    client.destroy();
  }
}

/** `client` as the one master of a whole-keyspace walk. */
export function scanTarget(client: RedisClient, where: string): ScanTarget {
  return {
    where,
    scan: (cursor, options) => client.scan(cursor, options),
    scanIterator: (options) => client.scanIterator(options),
  };
}
