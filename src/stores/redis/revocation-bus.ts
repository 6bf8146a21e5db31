/**
 * The revocation bus over Redis pub/sub: `PUBLISH <prefix>revocations` with a JSON array of refresh
 * token ids; every instance subscribed to the channel, the publishing one too, hands each id to its
 * listeners, which close the sockets authenticated with those tokens (ARCHITECTURE.md, "Adapters").
 *
 * A subscribed connection can run nothing but pub/sub commands, so subscribing uses a duplicate of
 * the store's connection, opened on the first `subscribe` (an instance that never listens never
 * opens it) and closed by `close`. node-redis resubscribes after a reconnect (and subscribe-channel.ts
 * covers a connection lost before the first SUBSCRIBE was answered); messages published while it was
 * disconnected are lost, as pub/sub does not keep them, so the bus tells its
 * `onMissedMessages` listeners once the subscription is back and they re-check what they hold.
 */
import type { Logger } from '../../domain/logger.js';
import type { RevocationBus } from '../types.js';
import type { RedisClient } from './connect.js';
import { watchConnection } from './connect.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import type { Run } from './guard.js';
import { subscribeChannel } from './subscribe-channel.js';

type Listener = (refreshTokenId: string) => void;

export interface RevocationBusOptions {
  client: RedisClient;
  run: Run;
  channel: string;
  /** How long a publish waits for this instance's own subscription to be in place. */
  subscribeWaitMs: number;
  logger?: Logger;
  where: string;
}

/** The ids of a message, or null when it is not a JSON array of strings (not ours: ignored). */
export function parseRevocationMessage(message: string): string[] | null {
  try {
    const value: unknown = JSON.parse(message);
    return Array.isArray(value) && value.every((id) => typeof id === 'string') ? value : null;
  } catch {
    return null;
  }
}

export class RedisRevocationBus implements RevocationBus {
  // One entry per subscribe call, so that the same function subscribed twice is unsubscribed once per call.
  readonly #listeners = new Set<{ listener: Listener }>();
  readonly #missedListeners = new Set<{ listener: () => void }>();
  #subscriber: RedisClient | undefined;
  #subscribed: Promise<void> | undefined;
  #closed = false;

  constructor(private readonly options: RevocationBusOptions) {}

  async publish(refreshTokenIds: string[]): Promise<void> {
    if (refreshTokenIds.length === 0) return;
    await this.#ownSubscription();
    const { channel } = this.options;
    await this.options.run('revocations.publish', (client) => client.publish(channel, JSON.stringify(refreshTokenIds)));
  }

  subscribe(listener: Listener): () => void {
    if (this.#closed) return () => undefined;
    const entry = { listener };
    this.#listeners.add(entry);
    this.#subscribed ??= this.#startSubscriber();
    return () => {
      this.#listeners.delete(entry);
    };
  }

  onMissedMessages(listener: () => void): () => void {
    if (this.#closed) return () => undefined;
    const entry = { listener };
    this.#missedListeners.add(entry);
    return () => {
      this.#missedListeners.delete(entry);
    };
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#missedListeners.clear();
    // destroy, not close: nothing is pending on a subscriber, and a subscriber still reconnecting
    // must stop at once.
    this.#subscriber?.destroy();
    this.#subscriber = undefined;
  }

  /**
   * A listener that subscribed just before this publish must hear it (types.ts: "this one too"), so
   * the publish waits until this instance's SUBSCRIBE was acknowledged, bounded so that a subscriber
   * still reconnecting cannot hold it.
   */
  async #ownSubscription(): Promise<void> {
    if (this.#subscribed === undefined) return;
    const wait = withDeadline(this.#subscribed, this.options.subscribeWaitMs, () => new Error('subscribe pending'));
    await wait.catch(() => undefined);
  }

  async #startSubscriber(): Promise<void> {
    const { client, channel, logger, where } = this.options;
    const subscriber = client.duplicate();
    this.#subscriber = subscriber;
    watchConnection(subscriber, `${where} (revocations)`, logger);
    // Attempts that failed before the subscription held are a gap too: the listeners were waiting
    // while other instances may have published.
    let failedBefore = false;
    subscriber.on('error', () => {
      failedBefore = true;
    });
    try {
      // Keeps trying while Redis is down (the store has opened, so the reconnect strategy retries),
      // and until a SUBSCRIBE is answered (subscribe-channel.ts).
      await subscriber.connect();
      const subscribed = await subscribeChannel(subscriber, channel, (message) => this.#deliver(message), () => this.#closed);
      if (!subscribed) return;
    } catch (error) {
      if (!this.#closed) logger?.error({ err: describeError(error) }, 'revocation bus: subscribing failed');
      return;
    }
    // Every later `ready` ends a reconnect, and node-redis emits it only once its resubscribe was
    // answered (the socket initiator), so the listeners re-check while new publishes are heard again.
    subscriber.on('ready', () => this.#announceMissedMessages());
    if (failedBefore) this.#announceMissedMessages();
  }

  #announceMissedMessages(): void {
    for (const { listener } of [...this.#missedListeners]) {
      try {
        listener();
      } catch (error) {
        this.options.logger?.error({ err: describeError(error) }, 'missed-revocations listener failed');
      }
    }
  }

  #deliver(message: string): void {
    const ids = parseRevocationMessage(message);
    if (ids === null) {
      this.options.logger?.warn({ channel: this.options.channel }, 'revocation bus: ignored a malformed message');
      return;
    }
    for (const id of ids) {
      for (const { listener } of [...this.#listeners]) {
        try {
          listener(id);
        } catch (error) {
          this.options.logger?.error({ err: describeError(error), refreshTokenId: id }, 'revocation listener failed');
        }
      }
    }
  }
}
