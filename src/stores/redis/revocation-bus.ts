/**
 * The revocation bus over Redis pub/sub: `PUBLISH <prefix>revocations` with a JSON array of refresh
 * token ids; every instance subscribed to the channel, the publishing one too, hands each id to its
 * listeners, which close the sockets authenticated with those tokens (ARCHITECTURE.md, "Adapters").
 *
 * The subscription (connection.ts `subscribe`) is opened on the first `subscribe` (an instance that
 * never listens never opens it) and kept across reconnects and failovers; messages published while
 * it was away are lost, as pub/sub does not keep them, so the bus tells its `onMissedMessages`
 * listeners once the subscription is back and they re-check what they hold.
 */
import type { Logger } from '../../domain/logger.js';
import type { RevocationBus } from '../types.js';
import type { RedisConnection } from './connection.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import type { Run } from './guard.js';

type Listener = (refreshTokenId: string) => void;

export interface RevocationBusOptions {
  connection: RedisConnection;
  run: Run;
  channel: string;
  /** How long a publish waits for this instance's own subscription to be in place. */
  subscribeWaitMs: number;
  logger?: Logger;
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
  #stopSubscription: (() => void) | undefined;
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
    this.#stopSubscription?.();
    this.#stopSubscription = undefined;
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

  /** Resolves once the subscription first listens. */
  #startSubscriber(): Promise<void> {
    return new Promise((resolve) => {
      // Attempts that failed before the subscription first held are a gap too: the listeners were
      // waiting while other instances may have published.
      let gap = false;
      this.#stopSubscription = this.options.connection.subscribe(this.options.channel, {
        message: (text) => this.#deliver(text),
        interrupted: () => {
          gap = true;
        },
        listening: () => {
          resolve();
          if (!gap) return;
          gap = false;
          this.#announceMissedMessages();
        },
      });
    });
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
