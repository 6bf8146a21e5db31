/**
 * The errors a command answers with, in one place: Home Assistant's WebSocket error codes
 * (websocket_api/const.py) and the mapping of exceptions to them (`async_handle_exception`,
 * ha-auth-spec §10.2). A command refuses by throwing a CommandError; anything it did not expect
 * becomes `unknown_error` / "Unknown error" and is logged, never shown.
 */
import { AccountError } from '../services/homeassistant-accounts.js';
import { InvalidUserError } from '../services/homeassistant-provider.js';
import { MfaError } from '../services/mfa.js';
import { PasswordChecksBusyError } from '../services/password-checks.js';
import { TooMuchContentionError } from '../runtime/actor-handle.js';
import { RefreshTokenRuleError } from '../services/refresh-tokens.js';
import { UserAdminError } from '../services/user-admin.js';
import { StoreUnavailableError } from '../stores/types.js';
import type { CommandFailure, Translation } from './messages.js';

export const ERR_ID_REUSE = 'id_reuse';
export const ERR_INVALID_FORMAT = 'invalid_format';
export const ERR_NOT_FOUND = 'not_found';
export const ERR_HOME_ASSISTANT_ERROR = 'home_assistant_error';
export const ERR_UNKNOWN_COMMAND = 'unknown_command';
export const ERR_UNKNOWN_ERROR = 'unknown_error';
export const ERR_UNAUTHORIZED = 'unauthorized';

export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly code: string,
    message: string,
    readonly translation?: Translation,
  ) {
    super(message);
  }
}

/** `Unauthorized` → `unauthorized` / "Unauthorized". */
export const unauthorized = () => new CommandError(ERR_UNAUTHORIZED, 'Unauthorized');

/**
 * The services' refusals carry Home Assistant's WebSocket codes, but for the two that are bare
 * `ValueError`s in Home Assistant (`unknown_error` / "Unknown error"): an unknown group and a login
 * linked to another user answer `home_assistant_error` with words instead.
 */
const REFUSAL_CODES: Record<string, string> = { invalid_group: ERR_HOME_ASSISTANT_ERROR, credential_taken: ERR_HOME_ASSISTANT_ERROR };

/** The failure a thrown error answers with; `expected` is false for the ones to log as bugs. */
export function failureOf(error: unknown): { failure: CommandFailure; expected: boolean } {
  if (error instanceof UserAdminError || error instanceof AccountError || error instanceof MfaError) {
    return { failure: { code: REFUSAL_CODES[error.code] ?? error.code, message: error.message }, expected: true };
  }
  if (error instanceof CommandError) {
    const failure = { code: error.code, message: error.message };
    return { failure: error.translation === undefined ? failure : { ...failure, translation: error.translation }, expected: true };
  }
  if (error instanceof InvalidUserError) {
    const translation = { domain: error.translationDomain, key: error.translationKey, placeholders: error.translationPlaceholders };
    return { failure: { code: ERR_HOME_ASSISTANT_ERROR, message: error.message, translation }, expected: true };
  }
  if (error instanceof RefreshTokenRuleError) {
    // Home Assistant's ValueErrors of `async_create_refresh_token` ("x already exists", a system
    // user): it answers `unknown_error`; its own text is clearer (ha-auth-spec §16.2 #17).
    return { failure: { code: ERR_HOME_ASSISTANT_ERROR, message: error.message }, expected: true };
  }
  if (error instanceof TooMuchContentionError) {
    return { failure: { code: ERR_HOME_ASSISTANT_ERROR, message: 'Service busy: too many concurrent changes, try again' }, expected: true };
  }
  if (error instanceof PasswordChecksBusyError) {
    // A full bcrypt queue. Home Assistant has no code for "busy" (websocket_api/const.py, ha-auth-spec
    // §10.2); `home_assistant_error` carries words a client shows, as for too much contention above.
    return { failure: { code: ERR_HOME_ASSISTANT_ERROR, message: error.message }, expected: true };
  }
  if (error instanceof StoreUnavailableError) {
    // The HTTP views answer 503 with the same words; a command has no status, only its error.
    return { failure: { code: ERR_HOME_ASSISTANT_ERROR, message: 'Service unavailable: the store cannot be reached' }, expected: true };
  }
  return { failure: { code: ERR_UNKNOWN_ERROR, message: 'Unknown error' }, expected: false };
}
