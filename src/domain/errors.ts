/**
 * Every error this service answers with, in one catalog: a code names one refusal or failure, and
 * its entry says how each transport answers it, with Home Assistant's exact texts and statuses
 * (ha-auth-spec.md; the section is cited per group). As in fastify's lib/errors.js, one table of
 * coded errors, each with its status and message; as in node-oidc-provider's lib/helpers/errors.js,
 * the OAuth `error` beside the status, and rendering in one place per transport
 * (http/error-reply.ts, ws/command-error.ts).
 *
 * - `status` and `message`: a view's answer, `{"message": …}` (http/view.py `json_message`); with
 *   `plain`, aiohttp's HTTPException instead: `text/plain`, `<status>: <message>`; with
 *   `codeInBody`, `{"message": …, "code": "<code>"}` (login_flow.py `AuthProvidersView`).
 * - `oauth`: the token endpoint's `{"error": …}` (RFC 6749 §5.2, auth/__init__.py `TokenView`), with
 *   `"error_description": <message>` where Home Assistant sends one.
 * - `ws` and `wsMessage`: a command's `{"code": …, "message": …}`; by default `home_assistant_error`
 *   and `message`, Home Assistant's answer to a HomeAssistantError with words (§10.2).
 *   `translationKey`: an InvalidUser of HA's `auth` translation domain, whose params are its
 *   `translation_placeholders` (§12.4).
 * - `retryAfterSeconds`: the `Retry-After` of an answer that asks the client to come back (RFC 9110
 *   §10.2.3).
 *
 * A code Home Assistant answers on one transport only still has an answer on the other, by its
 * meaning, so that a catalogued error thrown anywhere is rendered and never becomes a 500 or an
 * `unknown_error`; test/domain/errors.test.ts renders every code on both.
 */

/** What an error's texts are made of: HA's placeholders (strings), or a number of seconds. */
export type ErrorParams = Readonly<Record<string, string | number>>;

interface ErrorSpec {
  readonly status: number;
  readonly message: string | ((params: never) => string);
  readonly plain?: true;
  readonly codeInBody?: true;
  readonly oauth?: { readonly error: string; readonly described: boolean };
  readonly ws?: string;
  readonly wsMessage?: string | ((params: never) => string);
  readonly translationKey?: string;
  readonly retryAfterSeconds?: number | ((params: never) => number);
}

const USER_NOT_FOUND = 'User not found';

/** `HomeAssistantError` and every exception outside HA's list, over the WebSocket (websocket_api/const.py). */
const HOME_ASSISTANT_ERROR = 'home_assistant_error';

export const ERRORS = {
  // The service's own failures, on every route and command (ARCHITECTURE.md, "Stores"): a store that
  // cannot be reached, one record changed by many requests at once past the retries (busy, not broken),
  // a full bcrypt queue (services/providers/password-checks.ts: thrown before any write, so a step can be sent
  // again; a wait slot frees within one check, ≈ 0.3 s, so a second is worth waiting), and anything
  // unexpected, whose words are never shown.
  store_unavailable: { status: 503, message: 'Service unavailable: the store cannot be reached' },
  too_much_contention: { status: 503, message: 'Service busy: too many concurrent changes, try again', retryAfterSeconds: 1 },
  password_checks_busy: { status: 429, message: 'Too many password checks at once, try again shortly', retryAfterSeconds: 1 },
  internal_error: { status: 500, message: 'Internal Server Error', ws: 'unknown_error', wsMessage: 'Unknown error' },

  // Bodies and messages that are not what the endpoint takes: aiohttp's `Invalid JSON.` (http/view.py),
  // voluptuous' error (`RequestDataValidator` over HTTP, `invalid_format` with humanize_error over the
  // WebSocket, §10.2), the command envelope, its id and its type.
  invalid_json: { status: 400, message: 'Invalid JSON.' },
  invalid_format: {
    status: 400,
    message: ({ detail }: { detail: string }) => `Message format incorrect: ${detail}`,
    ws: 'invalid_format',
    wsMessage: ({ detail }: { detail: string }) => detail,
  },
  malformed_message: { status: 400, message: 'Message incorrectly formatted.', ws: 'invalid_format' },
  id_reuse: { status: 400, message: 'Identifier values have to increase.', ws: 'id_reuse' },
  unknown_command: { status: 404, message: 'Unknown command.', ws: 'unknown_command' },

  // aiohttp's HTTPExceptions, in text: a request refused before any view (a bad X-Forwarded-For, a
  // GET of the WebSocket path without an upgrade), a missing or bad Bearer token (§13.2, also
  // `Unauthorized` over the WebSocket: `require_admin`), a banned address (§11).
  bad_request: { status: 400, message: 'Bad Request', plain: true },
  unauthorized: { status: 401, message: 'Unauthorized', plain: true, ws: 'unauthorized' },
  forbidden: { status: 403, message: 'Forbidden', plain: true },

  // `ws_require_user`'s refusals (websocket_api/decorators.py, §10.3).
  not_system_user: { status: 403, message: 'Not allowed as system user', ws: 'not_system_user' },
  only_active_user: { status: 403, message: 'Only allowed as active user', ws: 'only_active_user' },

  // The login flow views (§3.1–§3.5) and, for `unknown_flow`, the MFA setup flow (§12.2: an unknown
  // flow id gets no answer in HA; `not_found` is the spec's suggestion).
  onboarding_required: { status: 400, message: 'Onboarding not finished', codeInBody: true },
  invalid_remote_ip: { status: 400, message: 'Invalid remote IP', codeInBody: true },
  invalid_client_id: { status: 400, message: 'Invalid client id', oauth: { error: 'invalid_request', described: true } },
  unknown_handler: { status: 404, message: 'Invalid handler specified' },
  unknown_flow: { status: 404, message: 'Invalid flow specified', ws: 'not_found' },
  ip_changed: { status: 400, message: 'IP address changed' },
  malformed_input: { status: 400, message: 'User input malformed' },
  invalid_redirect_uri: { status: 403, message: 'Invalid redirect URI' },
  login_blocked: { status: 403, message: ({ reason }: { reason: string }) => `Login blocked: ${reason}` },
  // Beyond HA: PKCE at the start of a flow (RFC 7636; HA's open PR #181957): a challenge that is not
  // S256 (`plain` is refused, RFC 9700 §2.1.1); and a client with as many flows open as it may
  // (services/login/login-flows.ts), told when its oldest one expires (RFC 6585 §4).
  invalid_code_challenge: { status: 400, message: 'Invalid code challenge' },
  too_many_flows: {
    status: 429,
    message: 'Too many login flows open from this address, try again later',
    retryAfterSeconds: ({ retryAfterSeconds }: { retryAfterSeconds: number }) => retryAfterSeconds,
  },

  // The token endpoint (§6.1), whose refusals clients only tell apart by 400 and 403. `invalid_code`
  // is also `POST /auth/link_user`'s (§3.6); PKCE's verifier is RFC 7636 §4.6.
  invalid_code: { status: 400, message: 'Invalid code', oauth: { error: 'invalid_request', described: true } },
  invalid_request: { status: 400, message: 'Invalid request', oauth: { error: 'invalid_request', described: false } },
  invalid_grant: { status: 400, message: 'Invalid grant', oauth: { error: 'invalid_grant', described: false } },
  invalid_code_verifier: { status: 400, message: 'Invalid code verifier', oauth: { error: 'invalid_grant', described: true } },
  unsupported_grant_type: { status: 400, message: 'Unsupported grant type', oauth: { error: 'unsupported_grant_type', described: false } },
  access_denied: { status: 403, message: ({ reason }: { reason: string }) => reason, oauth: { error: 'access_denied', described: true } },
  // `ValueError`s of HA's `async_create_refresh_token` (homeassistant/auth/__init__.py), which the
  // token endpoint answers `access_denied` with their words; over the WebSocket HA says
  // `unknown_error`, its own text is clearer (§16.2 #17). And `ValueError("Unable to find the user.")`
  // of a login whose user is gone for good (HA: 500).
  inactive_user: { status: 403, message: 'User is not active', oauth: { error: 'access_denied', described: true } },
  system_user_with_client: {
    status: 403,
    message: 'System generated users cannot have refresh tokens connected to a client.',
    oauth: { error: 'access_denied', described: true },
  },
  system_user_token_type: {
    status: 403,
    message: 'System generated users can only have system type refresh tokens',
    oauth: { error: 'access_denied', described: true },
  },
  client_required: { status: 403, message: 'Client is required to generate a refresh token.', oauth: { error: 'access_denied', described: true } },
  client_name_required: {
    status: 403,
    message: 'Client_name is required for long-lived access token',
    oauth: { error: 'access_denied', described: true },
  },
  client_name_taken: {
    status: 403,
    message: ({ clientName }: { clientName: string }) => `${clientName} already exists`,
    oauth: { error: 'access_denied', described: true },
  },
  refresh_token_exists: {
    status: 403,
    message: ({ id }: { id: string }) => `refresh token ${id} exists already`,
    oauth: { error: 'access_denied', described: true },
  },
  user_gone: { status: 403, message: 'Unable to find the user.', oauth: { error: 'access_denied', described: true } },

  // Onboarding (§8.3) and `POST /auth/link_user` (§3.6); `.well-known` without a public URL.
  user_step_done: { status: 403, message: 'User step already done' },
  credential_already_linked: { status: 400, message: 'Credential already linked' },
  no_url: { status: 404, message: 'No URL available' },

  // The `homeassistant` provider's InvalidUser / InvalidUsername (homeassistant/components/auth/strings.json,
  // §12.4, §14.1); onboarding answers the first two 400.
  username_not_normalized: {
    status: 400,
    message: ({ new_username }: { new_username: string }) =>
      `Username "${new_username}" is not normalized. Please make sure the username is lowercase and does not contain any whitespace.`,
    translationKey: 'username_not_normalized',
  },
  username_already_exists: {
    status: 400,
    message: ({ username }: { username: string }) => `Username "${username}" already exists`,
    translationKey: 'username_already_exists',
  },
  username_not_found: { status: 404, message: USER_NOT_FOUND, translationKey: 'user_not_found' },

  // `config/auth/*` (§12.3), `config/auth_provider/homeassistant/*` (§12.4) and MFA (§12.2) commands.
  // `invalid_group` and `credential_taken` are bare `ValueError`s in HA (`unknown_error`): words instead.
  unknown_user: { status: 404, message: USER_NOT_FOUND, ws: 'not_found' },
  user_not_found: { status: 404, message: USER_NOT_FOUND, ws: 'user_not_found' },
  cannot_modify_system_generated: { status: 400, message: 'Unable to update system generated users.', ws: 'cannot_modify_system_generated' },
  cannot_deactivate_owner: { status: 400, message: 'Unable to deactivate owner.', ws: 'cannot_deactivate_owner' },
  invalid_group: { status: 400, message: ({ groupId }: { groupId: string }) => `Invalid group specified ${groupId}` },
  no_delete_self: { status: 400, message: 'Unable to delete your own account', ws: 'no_delete_self' },
  system_generated: { status: 400, message: 'Cannot add credentials to a system generated user.', ws: 'system_generated' },
  credentials_not_found: { status: 404, message: 'Credentials not found', ws: 'credentials_not_found' },
  invalid_current_password: { status: 400, message: 'Invalid current password', ws: 'invalid_current_password' },
  credential_taken: { status: 400, message: ({ username }: { username: string }) => `Username "${username}" is already linked to another user` },
  no_module: { status: 404, message: ({ moduleId }: { moduleId: string }) => `MFA module ${moduleId} is not found`, ws: 'no_module' },
  disable_failed: {
    status: 400,
    message: ({ moduleId, reason }: { moduleId: string; reason: string }) => `Cannot disable MFA Module ${moduleId}: ${reason}`,
    ws: 'disable_failed',
  },

  // `auth/*` token commands (§12.1): a token that is not the caller's, and a removal that failed.
  invalid_token_id: { status: 400, message: 'Received invalid token', ws: 'invalid_token_id' },
  token_removing_error: { status: 500, message: 'During removal, an error was raised.', ws: 'token_removing_error' },

  // `unsubscribe_events` (websocket_api/commands.py) and the inspection commands (ws/commands/inspect.ts).
  unknown_subscription: { status: 404, message: 'Subscription not found.', ws: 'not_found' },
  unknown_record: { status: 404, message: 'Record not found.', ws: 'not_found' },
  uninspected_user: { status: 404, message: 'User not found.', ws: 'not_found' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

type ParamsIn<F> = F extends (params: infer P) => unknown ? P : never;
type EntryParams<E> = { [K in keyof E]: ParamsIn<E[K]> }[keyof E];

/** The params of a code's texts (undefined for a code without any), as its entry's functions take them. */
export type ParamsOf<C extends ErrorCode> = C extends ErrorCode
  ? [EntryParams<(typeof ERRORS)[C]>] extends [never]
    ? undefined
    : EntryParams<(typeof ERRORS)[C]>
  : never;

/** What an error says only to the log (the failure behind a 503), never to the client. */
export interface ErrorDetail {
  message: string;
  cause?: unknown;
}

/** The params argument of a code: none for a code without params. */
export type ParamsArg<C extends ErrorCode> = ParamsOf<C> extends undefined ? [params?: undefined] : [params: ParamsOf<C>];

export type ErrorArgs<C extends ErrorCode> =
  ParamsOf<C> extends undefined ? [params?: undefined, detail?: ErrorDetail] : [params: ParamsOf<C>, detail?: ErrorDetail];

/**
 * A catalogued error: thrown by services and commands, rendered by each transport from its code
 * and params. Its `message` is the catalog's text, or the detail for the log where there is one.
 */
export class CodedError<C extends ErrorCode = ErrorCode> extends Error {
  override name = 'CodedError';
  /** The params of its texts, checked against the code where it is made. */
  readonly params: ErrorParams | undefined;

  constructor(
    readonly code: C,
    ...[params, detail]: ErrorArgs<C>
  ) {
    super(detail?.message ?? textOf(ERRORS[code].message, params), detail?.cause === undefined ? undefined : { cause: detail.cause });
    this.params = params;
  }

  /**
   * The code's HTTP status, where Fastify reads it: a route whose context predates our error handler
   * (@fastify/cors' preflight route) still answers the right status, never a 500.
   */
  get statusCode(): number {
    return ERRORS[this.code].status;
  }
}

/** A translation of HA's `auth` domain (InvalidUser): key and placeholders, null where HA passes None. */
export interface ErrorTranslation {
  domain: 'auth';
  key: string;
  placeholders: ErrorParams | null;
}

/** One code with its params, rendered: what each transport sends. */
export interface ErrorAnswer {
  status: number;
  message: string;
  plain: boolean;
  /** The catalog code, for the bodies that carry it. */
  bodyCode: string | null;
  oauth: { error: string; description: string | null } | null;
  retryAfterSeconds: number | null;
  ws: { code: string; message: string; translation: ErrorTranslation | null };
}

function textOf<T>(field: T | ((params: never) => T), params: unknown): T {
  return typeof field === 'function' ? (field as (params: unknown) => T)(params) : field;
}

export function answerOf(error: { readonly code: ErrorCode; readonly params?: unknown }): ErrorAnswer {
  const spec: ErrorSpec = ERRORS[error.code];
  const message = textOf(spec.message, error.params);
  const placeholders = (error.params ?? null) as ErrorParams | null;
  return {
    status: spec.status,
    message,
    plain: spec.plain === true,
    bodyCode: spec.codeInBody === true ? error.code : null,
    oauth: spec.oauth === undefined ? null : { error: spec.oauth.error, description: spec.oauth.described ? message : null },
    retryAfterSeconds: spec.retryAfterSeconds === undefined ? null : textOf(spec.retryAfterSeconds, error.params),
    ws: {
      code: spec.ws ?? HOME_ASSISTANT_ERROR,
      message: spec.wsMessage === undefined ? message : textOf(spec.wsMessage, error.params),
      translation: spec.translationKey === undefined ? null : { domain: 'auth', key: spec.translationKey, placeholders },
    },
  };
}

/** Whether `error` is a catalogued error with one of `codes`. */
export function isCoded<C extends ErrorCode>(error: unknown, ...codes: C[]): error is CodedError<C> {
  return error instanceof CodedError && (codes as ErrorCode[]).includes((error as CodedError).code);
}

/** Whether the token endpoint answers this error `access_denied` with its words (§6.1 rows 5 and 6). */
export function deniesAccess(error: unknown): error is CodedError {
  if (!(error instanceof CodedError)) return false;
  const spec: ErrorSpec = ERRORS[(error as CodedError).code];
  return spec.oauth?.error === 'access_denied';
}
