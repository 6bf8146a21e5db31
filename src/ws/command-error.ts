/**
 * The errors a command answers with: Home Assistant's `async_handle_exception` (ha-auth-spec §10.2)
 * over the error catalog (domain/errors.ts). A command refuses by throwing a CodedError, answered
 * with its entry's WebSocket code, message and, for an InvalidUser, translation; anything it did not
 * expect becomes `unknown_error` / "Unknown error" and is logged, never shown.
 */
import { answerOf, CodedError, type ErrorCode, type ParamsArg } from '../domain/errors.js';
import type { CommandFailure } from './messages.js';

function failureFrom(error: { code: ErrorCode; params?: unknown }): CommandFailure {
  const { code, message, translation } = answerOf(error).ws;
  return translation === null ? { code, message } : { code, message, translation };
}

/** The failure of `code`, for the refusals the registry answers itself. */
export function commandFailure<C extends ErrorCode>(code: C, ...[params]: ParamsArg<C>): CommandFailure {
  return failureFrom({ code, params });
}

/** The failure a thrown error answers with; `expected` is false for the ones to log as bugs. */
export function failureOf(error: unknown): { failure: CommandFailure; expected: boolean } {
  if (error instanceof CodedError) return { failure: failureFrom(error), expected: true };
  return { failure: commandFailure('internal_error'), expected: false };
}
