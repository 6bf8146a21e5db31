/**
 * This instance's copy of the ban list, so that the check every request makes (http/ip-bans.ts) costs
 * no store round trip, while a ban or a lift made anywhere (another instance, the command line) is
 * seen at once: the store tells every watcher of each change (types.ts `BanWatcher`; on Redis by
 * pub/sub, published in the same step as the write).
 *
 * The copy is trusted only while the watch is in place and after a full read made since it was last
 * (re)established: changes heard during that read are replayed on top of it (they arrive in the order
 * the store applied them, so the last word on each address wins). Before that, during a Redis
 * reconnect, or after a read that failed, `lookup` answers null and the caller asks the store, as it
 * would without a copy. A failed read is tried again on a later lookup, at most once a second.
 */
import type { Logger } from '../../domain/logger.js';
import type { LoginAttemptStore } from '../../stores/types.js';

const RETRY_MS = 1_000;

export interface BanCopy {
  /** Whether `key` is banned, or null when the copy is not to be trusted now. */
  lookup(key: string): boolean | null;
  /** A change this instance made: known before the store's message about it arrives. */
  apply(key: string, banned: boolean): void;
  stop(): void;
}

export function watchBanList(store: LoginAttemptStore, logger: Logger): BanCopy {
  let trusted: Set<string> | null = null;
  // Changes heard while a read runs; null when none runs.
  let heard: Array<[string, boolean]> | null = null;
  // Moves on at each (re)start of the watch and each read, so that an outdated read is dropped.
  let generation = 0;
  let listening = false;
  let retryAt = 0;

  const apply = (key: string, banned: boolean) => {
    if (trusted !== null) {
      if (banned) trusted.add(key);
      else trusted.delete(key);
    } else {
      heard?.push([key, banned]);
    }
  };

  async function read(): Promise<void> {
    const current = ++generation;
    trusted = null;
    heard = [];
    try {
      const bans = await store.listBans();
      if (current !== generation) return;
      const copy = new Set(bans.map((ban) => ban.ip));
      for (const [key, banned] of heard) {
        if (banned) copy.add(key);
        else copy.delete(key);
      }
      trusted = copy;
    } catch (error) {
      if (current !== generation) return;
      retryAt = performance.now() + RETRY_MS;
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'ip bans: could not read the ban list; asking the store on each request');
    } finally {
      if (current === generation) heard = null;
    }
  }

  const stop = store.watchBans({
    changed: apply,
    listening: () => {
      listening = true;
      void read();
    },
    interrupted: () => {
      listening = false;
      generation += 1;
      trusted = null;
      heard = null;
    },
  });

  return {
    lookup(key) {
      if (trusted !== null) return trusted.has(key);
      if (listening && heard === null && performance.now() >= retryAt) void read();
      return null;
    },
    apply,
    stop() {
      stop();
      generation += 1;
      listening = false;
      trusted = null;
      heard = null;
    },
  };
}
