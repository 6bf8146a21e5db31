/**
 * How a login attempt ended: every answer of `POST /auth/login_flow` and `POST /auth/login_flow/{id}`
 * that ends an attempt (a finished login, or a refusal), named for Prometheus
 * (`hass_auth_login_attempts_total{outcome}`) and the login log line. A step on the way (the form
 * a flow starts with, the MFA form after a correct password) ends nothing and has no outcome.
 *
 * The names are Home Assistant's own where it has one: the form errors (§5.3), the abort reasons
 * and the flow views' failures (http/login-flow.ts).
 */
export const LOGIN_OUTCOMES = [
  'success',
  // A form step again, with errors.base: the password, the code, the chosen MFA module.
  'invalid_auth',
  'invalid_code',
  'invalid_auth_module',
  // The flow aborted: too late for the code, too many wrong codes, a network trusted_networks refuses,
  // a code that could not be sent.
  'login_expired',
  'too_many_retry',
  'not_allowed',
  'unknown_error',
  // The views' refusals.
  'invalid_client_id',
  'unknown_handler',
  'invalid_code_challenge',
  'unknown_flow',
  'ip_changed',
  'malformed_input',
  'invalid_redirect_uri',
  'login_blocked',
  // A client with as many login flows open as it may (http/login-flow.ts, 429).
  'too_many_flows',
  // Refused before the flow saw it: a body that is not the view's JSON, or a bad X-Forwarded-For.
  'malformed_request',
  // Refused around the flow: a banned address, a full bcrypt queue (429), a store that cannot answer
  // (503), anything else that failed (500).
  'banned',
  'throttled',
  'unavailable',
  'error',
] as const;

export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];
