/**
 * The transition channel over Redis pub/sub (types.ts TransitionChannel): `PUBLISH <prefix>transitions`
 * with one notice as JSON; an instance subscribes (connection.ts `subscribe`, a connection of its
 * own) only while one of its watchers watches, and hands each notice to them.
 *
 * Nobody watching must cost a transition about nothing, and most transitions are refresh-token uses.
 * PUBLISH answers how many subscribers received the message, which says whether anybody watches
 * anywhere, so: an instance publishes while it has watchers of its own or its last publish reached
 * someone; after one that reached nobody it stays quiet for QUIET_MS, then publishes once more to
 * find out. Idle, that is one small PUBLISH a second per instance at most, and no notice is even
 * built in between (`wanted`). The price: a watcher that starts on another instance may miss what
 * was written in the first QUIET_MS of its watch. A flag per instance fed by PUBSUB NUMSUB would need
 * a poll all the same, and a key naming the watchers a read per transition.
 *
 * Pub/sub keeps nothing for a subscriber that is away: notices written while Redis reconnects are
 * lost to the feed, which is what a live view can afford (the counts and the audit trail are exact).
 */
import type { Logger } from '../../domain/logger.js';
import { machines } from '../../../machines/index.js';
import type { TransitionChannel, TransitionNotice } from '../types.js';
import type { RedisConnection } from './connection.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import type { Run } from './guard.js';

/** How long an instance publishes nothing after a publish that reached no subscriber. */
export const QUIET_MS = 1_000;

/** Notices waiting for their turn to be published, at most (publish): a second of a busy instance's transitions. */
const MAX_WAITING = 10_000;

type Watcher = (notice: TransitionNotice) => void;

export interface TransitionChannelOptions {
  connection: RedisConnection;
  run: Run;
  channel: string;
  /** How long a publish waits for this instance's own subscription to be in place (its watchers hear their own writes). */
  subscribeWaitMs: number;
  logger?: Logger;
  /** A monotonic clock in ms for the quiet time (not the domain's clock: this is no lifecycle's time). */
  now?: () => number;
}

const isText = (value: unknown): value is string => typeof value === 'string';

/** The notice in a message, rebuilt field by field; null when it is not one (not ours: ignored). */
export function parseTransitionNotice(message: string): TransitionNotice | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { machine, recordId, event, from, to, instance, at } = value as Record<string, unknown>;
  if (!isText(machine) || !Object.hasOwn(machines, machine)) return null;
  if (!isText(recordId) || !isText(event) || !(from === null || isText(from)) || !isText(to) || !isText(instance) || typeof at !== 'number') return null;
  return { machine: machine as TransitionNotice['machine'], recordId, event, from, to, instance, at };
}

export class RedisTransitionChannel implements TransitionChannel {
  readonly #watchers = new Set<{ watcher: Watcher }>();
  #stopSubscription: (() => void) | undefined;
  /** Resolves once this instance's subscription listens; undefined while it has none. */
  #subscribed: Promise<void> | undefined;
  #quietUntil = 0;
  /** The publishes in order (publish): the last one's, and how many wait or are in flight. */
  #sending: Promise<void> = Promise.resolve();
  #waiting = 0;
  readonly #now: () => number;

  constructor(private readonly options: TransitionChannelOptions) {
    this.#now = options.now ?? (() => performance.now());
  }

  wanted(): boolean {
    return this.#watchers.size > 0 || this.#now() >= this.#quietUntil;
  }

  /**
   * One at a time, each sent once the last was answered, so that watchers hear the notices in the
   * order they were published, whatever the connection does with commands issued together (on a
   * cluster, a PUBLISH first looks up its channel's home node: cluster-connection.ts), and a live
   * feed in the wrong order draws the wrong path. At most MAX_WAITING wait; past that, a notice is
   * dropped, a gap like any other in a live feed.
   */
  publish(notice: TransitionNotice): void {
    if (this.#waiting >= MAX_WAITING) return;
    this.#waiting += 1;
    const text = JSON.stringify(notice);
    this.#sending = this.#sending.then(async () => {
      await this.#send(text);
      this.#waiting -= 1;
    });
  }

  async #send(text: string): Promise<void> {
    const { run, channel } = this.options;
    await this.#ownSubscription();
    try {
      const receivers = await run('transitions.publish', (client) => client.publish(channel, text));
      if (receivers === 0) this.#quietUntil = this.#now() + QUIET_MS;
    } catch {
      // Redis is away: every request that needs it says so (503) and is logged; the feed only has a
      // gap, and waits QUIET_MS like an idle one rather than failing once per transition.
      this.#quietUntil = this.#now() + QUIET_MS;
    }
  }

  watch(watcher: Watcher): () => void {
    const entry = { watcher };
    this.#watchers.add(entry);
    if (this.#stopSubscription === undefined) this.#subscribe();
    return () => {
      this.#watchers.delete(entry);
      // Nobody here watches: unsubscribed, this instance no longer counts in other instances' PUBLISH answers.
      if (this.#watchers.size === 0) this.#unsubscribe();
    };
  }

  close(): void {
    this.#watchers.clear();
    this.#unsubscribe();
  }

  #subscribe(): void {
    this.#subscribed = new Promise((resolve) => {
      this.#stopSubscription = this.options.connection.subscribe(this.options.channel, {
        message: (text) => this.#deliver(text),
        // A live feed only: what was published while away is not asked for again.
        interrupted: () => undefined,
        listening: () => resolve(),
      });
    });
  }

  #unsubscribe(): void {
    this.#stopSubscription?.();
    this.#stopSubscription = undefined;
    this.#subscribed = undefined;
  }

  /**
   * A watcher of this instance must hear what this instance writes after its watch began (types.ts),
   * so a publish waits until the SUBSCRIBE was answered, bounded like the revocation bus' publish.
   */
  async #ownSubscription(): Promise<void> {
    if (this.#subscribed === undefined) return;
    await withDeadline(this.#subscribed, this.options.subscribeWaitMs, () => new Error('subscribe pending')).catch(() => undefined);
  }

  #deliver(message: string): void {
    const notice = parseTransitionNotice(message);
    if (notice === null) {
      this.options.logger?.warn({ channel: this.options.channel }, 'transition channel: ignored a malformed message');
      return;
    }
    for (const { watcher } of [...this.#watchers]) {
      try {
        watcher(notice);
      } catch (error) {
        this.options.logger?.error({ err: describeError(error) }, 'transition watcher failed');
      }
    }
  }
}
