/**
 * Subscriptions of one connection (Home Assistant's `connection.subscriptions`: message id →
 * unsubscribe). A subscribing command answers its `result` first, then sends events under its own id
 * (`{"id": 7, "type": "event", "event": {…}}`, websocket_api/messages.py `event_message`) until
 * `unsubscribe_events {"subscription": 7}` or the socket closes, which ends them all.
 */
import type { CommandEvents } from './command.js';
import { eventMessage } from './messages.js';

export class Subscriptions {
  readonly #ends = new Map<number, () => void>();
  #closed = false;

  /** Keeps `end` under `id`; a connection already closed ends it at once. */
  add(id: number, end: () => void): void {
    if (this.#closed) return end();
    this.#ends.get(id)?.();
    this.#ends.set(id, end);
  }

  /** Ends the subscription `id`; false when there is none. */
  end(id: number): boolean {
    const end = this.#ends.get(id);
    if (end === undefined) return false;
    this.#ends.delete(id);
    end();
    return true;
  }

  /** The socket closed: every subscription ends, and later ones end as they start. */
  endAll(): void {
    this.#closed = true;
    const ends = [...this.#ends.values()];
    this.#ends.clear();
    for (const end of ends) end();
  }
}

/**
 * The `events` of one command (command.ts): its events wait until its result has gone out, so that a
 * client always reads the result first; a command that fails ends what it subscribed.
 */
export function commandEvents(id: number, subscriptions: Subscriptions, send: (message: object) => void) {
  let held: unknown[] | null = [];
  let subscribed = false;
  const events: CommandEvents = {
    send(event) {
      if (held === null) send(eventMessage(id, event));
      else held.push(event);
    },
    subscribe(end) {
      subscribed = true;
      subscriptions.add(id, end);
    },
    unsubscribe: (subscription) => subscriptions.end(subscription),
  };
  return {
    events,
    /** The result was sent: events flow. */
    answered(): void {
      const waiting = held ?? [];
      held = null;
      for (const event of waiting) send(eventMessage(id, event));
    },
    /** The command failed: nothing it subscribed stays. */
    failed(): void {
      held = null;
      if (subscribed) subscriptions.end(id);
    },
  };
}
