/**
 * Bans and lifts as they happen, for each instance's copy of the ban list (types.ts `BanWatcher`): the
 * scripts publish `+<ip>` / `-<ip>` on `<prefix>ip-ban-changes` in the step that writes the change, and
 * this listens on a duplicate connection (a subscribed one can run nothing else), opened on the first
 * watch and closed with the store, as the revocation bus does.
 *
 * Pub/sub keeps nothing for a connection that is away, so the watchers hear `interrupted` as soon as
 * the subscriber loses Redis and `listening` once node-redis has resubscribed (its `ready` comes after
 * the resubscribe was answered): in between they must not trust their copy.
 */
import type { Logger } from '../../domain/logger.js';
import type { BanWatcher } from '../types.js';
import { watchConnection, type RedisClient } from './connect.js';
import { describeError } from './connection-errors.js';
import { subscribeChannel } from './subscribe-channel.js';

export interface BanChangesOptions {
  client: RedisClient;
  channel: string;
  where: string;
  logger?: Logger;
}

/** `+<ip>` → banned, `-<ip>` → lifted; anything else is not ours (null). */
export function parseBanChange(message: string): { ip: string; banned: boolean } | null {
  const sign = message[0];
  if ((sign !== '+' && sign !== '-') || message.length < 2) return null;
  return { ip: message.slice(1), banned: sign === '+' };
}

export class RedisBanChanges {
  readonly #watchers = new Set<{ watcher: BanWatcher }>();
  #subscriber: RedisClient | undefined;
  #listening = false;
  #closed = false;

  constructor(private readonly options: BanChangesOptions) {}

  watch(watcher: BanWatcher): () => void {
    if (this.#closed) return () => undefined;
    const entry = { watcher };
    this.#watchers.add(entry);
    if (this.#subscriber === undefined) void this.#start();
    else if (this.#listening) queueMicrotask(() => this.#tell(entry, (w) => w.listening()));
    return () => {
      this.#watchers.delete(entry);
    };
  }

  close(): void {
    this.#closed = true;
    this.#watchers.clear();
    this.#subscriber?.destroy();
    this.#subscriber = undefined;
  }

  async #start(): Promise<void> {
    const { client, channel, logger, where } = this.options;
    const subscriber = client.duplicate();
    this.#subscriber = subscriber;
    watchConnection(subscriber, `${where} (ip bans)`, logger);
    const interrupted = () => {
      if (!this.#listening) return;
      this.#listening = false;
      this.#tellAll((watcher) => watcher.interrupted());
    };
    subscriber.on('error', interrupted);
    subscriber.on('end', interrupted);
    try {
      // Keeps trying while Redis is down (the store has opened, so the reconnect strategy retries),
      // and until a SUBSCRIBE is answered (subscribe-channel.ts).
      await subscriber.connect();
      if (!(await subscribeChannel(subscriber, channel, (message) => this.#deliver(message), () => this.#closed))) return;
    } catch (error) {
      if (!this.#closed) logger?.error({ err: describeError(error) }, 'ip bans: subscribing failed');
      return;
    }
    const listening = () => {
      this.#listening = true;
      this.#tellAll((watcher) => watcher.listening());
    };
    subscriber.on('ready', listening);
    listening();
  }

  #deliver(message: string): void {
    const change = parseBanChange(message);
    if (change === null) {
      this.options.logger?.warn({ channel: this.options.channel }, 'ip bans: ignored a malformed message');
      return;
    }
    this.#tellAll((watcher) => watcher.changed(change.ip, change.banned));
  }

  #tellAll(call: (watcher: BanWatcher) => void): void {
    for (const entry of [...this.#watchers]) this.#tell(entry, call);
  }

  #tell(entry: { watcher: BanWatcher }, call: (watcher: BanWatcher) => void): void {
    if (!this.#watchers.has(entry)) return;
    try {
      call(entry.watcher);
    } catch (error) {
      this.options.logger?.error({ err: describeError(error) }, 'ip ban watcher failed');
    }
  }
}
