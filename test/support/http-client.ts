/**
 * The HTTP client of every suite: requests as Home Assistant's clients send them, to anything that
 * has a base URL (a test server, a service process, a balancer). `from` is the client address a
 * request claims in `X-Forwarded-For`, which the service believes only from a trusted proxy (the
 * suites that use it start their server with `trustProxy`); a real other source address is
 * test/cluster/instances.ts `postJsonFrom`.
 */
import { CLIENT_ID, REDIRECT_URI } from './test-server.js';

export interface Target {
  readonly baseUrl: string;
}

/** Form fields; `null` or `undefined` leaves a field out (to send a request without it). */
export type FormFields = Record<string, string | null | undefined>;

const forwardedFor = (from: string | undefined): Record<string, string> => (from === undefined ? {} : { 'x-forwarded-for': from });

/** `fetch` to `path` of the target, as seen from `from`. */
export function fetchFrom(target: Target, path: string, init: RequestInit = {}, from?: string): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(forwardedFor(from))) headers.set(name, value);
  return fetch(`${target.baseUrl}${path}`, { ...init, headers });
}

export function postJson(target: Target, path: string, body: unknown, from?: string): Promise<Response> {
  return fetchFrom(target, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, from);
}

/** Form-encoded POST, as OAuth clients send `/auth/token` and `/auth/revoke`. */
export function postForm(target: Target, path: string, fields: FormFields, from?: string): Promise<Response> {
  const present = Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return fetchFrom(
    target,
    path,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(present).toString() },
    from,
  );
}

export interface StartBody {
  client_id?: unknown;
  handler?: unknown;
  redirect_uri?: unknown;
  type?: unknown;
  [key: string]: unknown;
}

/** `POST /auth/login_flow` with the `homeassistant` provider, as the frontend starts a login. */
export function startFlow(target: Target, overrides: StartBody = {}, from?: string): Promise<Response> {
  return postJson(target, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI, ...overrides }, from);
}

/** The authorization-code grant; `null` leaves a field out. */
export function exchangeCode(target: Target, code: string | null, clientId: string | null = CLIENT_ID, from?: string): Promise<Response> {
  return postForm(target, '/auth/token', { grant_type: 'authorization_code', client_id: clientId, code }, from);
}

/** The refresh-token grant; `null` leaves a field out. */
export function refreshGrant(target: Target, refreshToken: string | null, clientId: string | null = CLIENT_ID, from?: string): Promise<Response> {
  return postForm(target, '/auth/token', { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }, from);
}

/** The token endpoint's answer to a grant (ha-auth-spec §6.1). */
export interface IssuedTokens {
  access_token: string;
  token_type: string;
  refresh_token: string;
  expires_in: number;
  ha_auth_provider: string;
}

/** Runs a `homeassistant` login flow to its end: the step that carries the code, or why not. */
export async function logIn(target: Target, username: string, password: string, clientId = CLIENT_ID, redirectUri = REDIRECT_URI) {
  const started = await startFlow(target, { client_id: clientId, redirect_uri: redirectUri });
  const { flow_id: flowId } = (await started.json()) as { flow_id: string };
  const done = await postJson(target, `/auth/login_flow/${flowId}`, { client_id: clientId, username, password });
  return (await done.json()) as { type: string; result?: string; errors?: Record<string, string> };
}

/** A login flow and its code's exchange: fresh tokens of a new session, or an error naming the step that failed. */
export async function logInForTokens(target: Target, username: string, password: string): Promise<IssuedTokens> {
  const done = await logIn(target, username, password);
  if (done.type !== 'create_entry' || done.result === undefined) throw new Error(`login failed: ${JSON.stringify(done)}`);
  const exchanged = await exchangeCode(target, done.result);
  if (exchanged.status !== 200) throw new Error(`code exchange failed: ${exchanged.status} ${await exchanged.text()}`);
  return (await exchanged.json()) as IssuedTokens;
}

/** Onboards an owner and returns its first tokens (as the Home Assistant frontend does right after onboarding). */
export async function onboardOwner(target: Target, username = 'alice', password = 'secret-password'): Promise<IssuedTokens> {
  const onboarded = await postJson(target, '/api/onboarding/users', { name: 'Alice', username, password, client_id: CLIENT_ID, language: 'en' });
  const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
  return (await (await exchangeCode(target, code)).json()) as IssuedTokens;
}
