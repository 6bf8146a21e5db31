/**
 * Subscribing a dedicated connection so that it stays subscribed. node-redis resubscribes after a
 * reconnect only the channels whose SUBSCRIBE Redis already answered (it records a listener when
 * the answer arrives), so a connection lost between sending SUBSCRIBE and its answer leaves the
 * channel unsubscribed for good, with nothing reported but the one rejection. This sends SUBSCRIBE
 * again on each reconnect until one is answered; from then on node-redis' resubscribe keeps it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from './connect.js';
import { isConnectionError } from './connection-errors.js';
import { reconnectDelay } from './reconnect.js';

/** Resolves on the next `ready` (a reconnect completed) or `end` (the subscriber was destroyed). */
function reconnected(subscriber: RedisClient): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      subscriber.off('ready', settle);
      subscriber.off('end', settle);
      resolve();
    };
    subscriber.on('ready', settle);
    subscriber.on('end', settle);
  });
}

/**
 * Resolves true once Redis answered a SUBSCRIBE to `channel`, false if the subscriber was closed
 * first; rejects with an error that is not a lost connection (a bug, an ACL refusal).
 */
export async function subscribeChannel(
  subscriber: RedisClient,
  channel: string,
  onMessage: (message: string) => void,
  /** True once the owner closed the subscriber: stop trying. */
  isClosed: () => boolean,
): Promise<boolean> {
  for (let attempt = 0; ; attempt += 1) {
    if (isClosed()) return false;
    try {
      await subscriber.subscribe(channel, onMessage);
      return !isClosed();
    } catch (error) {
      // The connection's loss was emitted as `error` before this rejection: owners note the gap there.
      if (isClosed()) return false;
      if (!isConnectionError(error)) throw error;
    }
    // A lost connection is already down when its commands are rejected (node-redis marks the socket
    // not ready first), so this waits for the reconnect. A refusal on a live connection (Redis still
    // loading its data) is retried after the reconnect backoff rather than in a tight loop.
    if (subscriber.isReady) await sleep(reconnectDelay(attempt));
    else await reconnected(subscriber);
  }
}
