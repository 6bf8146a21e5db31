/**
 * Dispatch of one command message, in the order of Home Assistant's `ActiveConnection.async_handle`
 * (websocket_api/connection.py, ha-auth-spec §10.2):
 *
 * 1. an object with `id` (a JSON integer above 0) and `type` (a non-empty string), else
 *    `invalid_format` "Message incorrectly formatted." answered with the id as sent (0 for a non-object);
 * 2. `id` above every id accepted so far, else `id_reuse`;
 * 3. a known `type`, else `unknown_command`;
 * 4. the command's schema, else `invalid_format` with voluptuous' humanized errors;
 * 5. the user check of its decorator (`ws_require_user`, `require_admin`);
 * 6. the command, whose failures map to error codes in command-error.ts.
 * Every error's code and text comes from the catalog (domain/errors.ts).
 * The id counts as used from step 4 on, whatever the outcome, as in Home Assistant.
 */
import type { Field } from '../domain/voluptuous.js';
import { humanizeError, validate } from '../domain/voluptuous.js';
import type { Logger } from '../domain/logger.js';
import { isAdmin } from '../services/users/users.js';
import { StoreUnavailableError } from '../stores/types.js';
import { type User } from '../domain/models.js';
import type { CommandContext, Requirement, WsCommand } from './command.js';
import { commandFailure, failureOf } from './command-error.js';
import { errorMessage, resultMessage, type CommandFailure } from './messages.js';
import { commandEvents, type Subscriptions } from './subscriptions.js';

export interface CommandConnection {
  /** The highest id accepted so far. */
  lastId: number;
  /** The session as it stands now, or null when it ended (the connection then closes unanswered). */
  context(): Promise<Omit<CommandContext, 'events'> | null>;
  send(message: object): void;
  /** What commands of this connection subscribed to; the connection ends them when it closes. */
  subscriptions: Subscriptions;
}

/** `ws_require_user`'s checks (websocket_api/decorators.py, ha-auth-spec §10.3); their texts are in the catalog. */
function refusal(requires: Requirement, user: User): CommandFailure | null {
  switch (requires) {
    case 'any_user':
      return null;
    case 'active_human':
      // `allow_system_user=False` keeps `only_active_user=True`.
      if (user.systemGenerated) return commandFailure('not_system_user');
      return refusal('active_user', user);
    case 'active_user':
      return user.isActive ? null : commandFailure('only_active_user');
    case 'admin':
      return isAdmin(user) ? null : commandFailure('unauthorized');
    case 'admin_owner':
      return isAdmin(user) && user.isOwner ? null : commandFailure('unauthorized');
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Step 1: the envelope Home Assistant checks before anything else. */
function envelopeProblem(message: unknown): { id: unknown } | null {
  if (!isPlainObject(message)) return { id: 0 };
  const { id, type } = message;
  if (!Number.isInteger(id) || (id as number) <= 0 || typeof type !== 'string' || type === '') return { id: message.id ?? null };
  return null;
}

export function commandRegistry(commands: WsCommand[], logger: Logger) {
  const byType = new Map(commands.map((command) => [command.type, command]));
  const schemas = new Map(
    commands.map((command) => {
      const fields: Record<string, Field> = {
        id: { type: 'int', required: true },
        type: { type: 'literal', value: command.type, required: true },
        ...command.fields,
      };
      return [command.type, { fields }];
    }),
  );

  function checkSchema(command: WsCommand, message: Record<string, unknown>): Record<string, unknown> | string {
    if (command.fields === null) {
      // Home Assistant's `schema is False`: a plain Invalid without a path, humanized with the whole message.
      return Object.keys(message).length > 2 ? humanizeError(message, [{ message: 'extra keys not allowed', path: [] }]) : message;
    }
    const checked = validate(schemas.get(command.type) ?? { fields: {} }, message);
    return checked.ok ? checked.value : humanizeError(message, checked.errors);
  }

  async function run(connection: CommandConnection, command: WsCommand, message: Record<string, unknown>, id: number): Promise<'closed' | void> {
    const checked = checkSchema(command, message);
    if (typeof checked === 'string') return connection.send(errorMessage(id, commandFailure('invalid_format', { detail: checked })));
    let context: Omit<CommandContext, 'events'> | null;
    try {
      context = await connection.context();
    } catch (error) {
      if (command.answersWithoutStore === true && error instanceof StoreUnavailableError) {
        return connection.send(command.reply === undefined ? resultMessage(id, null) : command.reply(id, null));
      }
      return answerFailure(connection, id, command, error);
    }
    if (context === null) return 'closed';
    const refused = refusal(command.requires, context.user);
    if (refused !== null) return connection.send(errorMessage(id, refused));
    const events = commandEvents(id, connection.subscriptions, (reply) => connection.send(reply));
    try {
      const result = await command.run({ ...context, events: events.events }, checked);
      connection.send(command.reply === undefined ? resultMessage(id, result) : command.reply(id, result));
      events.answered();
    } catch (error) {
      events.failed();
      answerFailure(connection, id, command, error);
    }
  }

  function answerFailure(connection: CommandConnection, id: number, command: WsCommand, error: unknown): void {
    const { failure, expected } = failureOf(error);
    if (!expected) logger.error({ err: error, command: command.type }, 'Error handling message');
    connection.send(errorMessage(id, failure));
  }

  /** Handles one message; 'closed' when the connection's session turned out to have ended. */
  return async function handle(connection: CommandConnection, message: unknown): Promise<'closed' | void> {
    const malformed = envelopeProblem(message);
    if (malformed !== null) {
      return connection.send(errorMessage(malformed.id, commandFailure('malformed_message')));
    }
    const command_ = message as Record<string, unknown> & { id: number; type: string };
    const { id, type } = command_;
    if (id <= connection.lastId) {
      return connection.send(errorMessage(id, commandFailure('id_reuse')));
    }
    const command = byType.get(type);
    if (command === undefined) return connection.send(errorMessage(id, commandFailure('unknown_command')));
    connection.lastId = id;
    return run(connection, command, command_, id);
  };
}

export type CommandHandler = ReturnType<typeof commandRegistry>;
