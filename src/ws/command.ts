/**
 * What a WebSocket command declares (Home Assistant's `@websocket_command` schema plus its
 * `@ws_require_user` / `@require_admin` decorators): its type, the fields it takes besides `id`
 * and `type`, who may run it, and the work. The registry (command-registry.ts) checks the first
 * three in Home Assistant's order, so that every guard error comes from one place.
 */
import type { Field } from '../domain/voluptuous.js';
import type { User } from '../domain/models.js';

/**
 * - `any_user`: no check (`change_password`, `ping`);
 * - `active_user`: `ws_require_user()` — the user must be active;
 * - `active_human`: `ws_require_user(allow_system_user=False)`;
 * - `admin`: `require_admin` — owner, or active and in `system-admin`;
 * - `admin_owner`: `require_admin` and then owner (the `admin_change_*` commands).
 */
export type Requirement = 'any_user' | 'active_user' | 'active_human' | 'admin' | 'admin_owner';

export interface CommandContext {
  user: User;
  /** The refresh token the connection authenticated with (`connection.refresh_token_id`). */
  refreshTokenId: string;
  /** Work to run `ms` from now, or at once when the server stops first (Home Assistant's tracked task). */
  later: (ms: number, work: () => Promise<void>) => void;
  /** Events under this command's id, and the connection's subscriptions (subscriptions.ts). */
  events: CommandEvents;
}

/** What a subscribing command uses (Home Assistant's `connection.subscriptions`, `event_message`). */
export interface CommandEvents {
  /** Sends `{id, type: 'event', event}` with this command's id, never before its result. */
  send(event: unknown): void;
  /** Makes the command a subscription: `end` runs at `unsubscribe_events` or when the socket closes. */
  subscribe(end: () => void): void;
  /** Ends the connection's subscription `id` (`unsubscribe_events`); false when there is none. */
  unsubscribe(id: number): boolean;
}

export interface WsCommand {
  type: string;
  /**
   * The fields besides `id` and `type`. Null is Home Assistant's command without a schema: any key
   * besides those two is refused with `extra keys not allowed`.
   */
  fields: Record<string, Field> | null;
  requires: Requirement;
  /** The `result`, or a thrown CodedError (domain/errors.ts). */
  run(context: CommandContext, message: Record<string, unknown>): Promise<unknown>;
  /** The answer when it is not a `result` message (`ping` answers `pong`). */
  reply?(id: number, result: unknown): object;
  /**
   * Answered even when the session cannot be re-read because the store is down (`ping`): Home
   * Assistant's `ping` never touches storage, and the apps' liveness checks must not fail (and
   * reconnect into a store that is down) while Redis restarts. A session that ended meanwhile is
   * still found once the store answers: the bus re-checks every socket (session-recheck.ts).
   */
  answersWithoutStore?: boolean;
}
