/**
 * Bans and lifts as they happen, for each instance's copy of the ban list (types.ts `BanWatcher`): the
 * scripts publish `+<ip>` / `-<ip>` on `<prefix>ip-ban-changes` in the step that writes the change, and
 * this listens on a subscription of its own (connection.ts), opened on the first watch and closed
 * with the store, as the revocation bus does.
 *
 * Pub/sub keeps nothing for a connection that is away, so the watchers hear `interrupted` as soon as
 * the subscription may miss changes (Redis lost, a failover) and `listening` once it is back: in
 * between they must not trust their copy.
 */
import type { Logger } from '../../domain/logger.js';
import type { BanWatcher } from '../types.js';
import type { RedisConnection } from './connection.js';
import { describeError } from './connection-errors.js';

export interface BanChangesOptions {
  connection: RedisConnection;
  channel: string;
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
  #stopSubscription: (() => void) | undefined;
  #listening = false;
  #closed = false;

  constructor(private readonly options: BanChangesOptions) {}

  watch(watcher: BanWatcher): () => void {
    if (this.#closed) return () => undefined;
    const entry = { watcher };
    this.#watchers.add(entry);
    if (this.#stopSubscription === undefined) this.#start();
    else if (this.#listening) queueMicrotask(() => this.#tell(entry, (w) => w.listening()));
    return () => {
      this.#watchers.delete(entry);
    };
  }

  close(): void {
    this.#closed = true;
    this.#watchers.clear();
    this.#stopSubscription?.();
    this.#stopSubscription = undefined;
  }

  #start(): void {
    this.#stopSubscription = this.options.connection.subscribe(this.options.channel, {
      message: (text) => this.#deliver(text),
      interrupted: () => {
        if (!this.#listening) return;
        this.#listening = false;
        this.#tellAll((watcher) => watcher.interrupted());
      },
      listening: () => {
        this.#listening = true;
        this.#tellAll((watcher) => watcher.listening());
      },
    });
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
