/**
 * Shared pieces of the HTTP suites (onboarding, providers, login flow): requests as the Home
 * Assistant frontend sends them, the exact bodies Home Assistant answers with, and a test server
 * behind a trusted proxy (to give requests an X-Forwarded-For client IP).
 */
import { expect } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { hashPassword } from '../../src/domain/passwords.js';
import type { User } from '../../src/domain/models.js';
import { aUser } from '../support/fixtures.js';
import { CLIENT_ID, startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { postJson, startFlow, type StartBody } from '../support/http-client.js';

export const HEX32 = /^[0-9a-f]{32}$/;
export const START = Date.UTC(2026, 10, 27, 12);

/** Headers Home Assistant adds to every response, errors included (spec §0). */
export function expectHomeAssistantHeaders(response: Response): void {
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
}

/** Status and parsed JSON body, for one `toEqual` per response. */
export async function jsonOf(response: Response): Promise<{ status: number; body: unknown }> {
  return { status: response.status, body: await response.json() };
}

export async function textOf(response: Response): Promise<{ status: number; contentType: string | null; text: string }> {
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/** POST with a raw body, for the bodies `postJson` cannot send (not JSON, other content types). */
export function postRaw(server: TestServer, path: string, body: string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

/** Starts a flow that must succeed; returns its id. */
export async function openFlow(server: TestServer, overrides: StartBody = {}, clientIp?: string): Promise<string> {
  const response = await startFlow(server, overrides, clientIp);
  const body = (await response.json()) as { flow_id?: string };
  if (response.status !== 200 || body.flow_id === undefined) throw new Error(`flow not started: ${response.status} ${JSON.stringify(body)}`);
  return body.flow_id;
}

export function submitStep(server: TestServer, flowId: string, body: Record<string, unknown>, clientIp?: string): Promise<Response> {
  return postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, ...body }, clientIp);
}

export function deleteFlow(server: TestServer, flowId: string): Promise<Response> {
  return fetch(`${server.baseUrl}/auth/login_flow/${flowId}`, { method: 'DELETE' });
}

/** The homeassistant provider's `init` form (spec §5.1), as a fresh flow or after a wrong password. */
export function initForm(flowId: string, errors: Record<string, string> = {}) {
  return {
    type: 'form',
    flow_id: flowId,
    handler: ['homeassistant', null],
    data_schema: [
      { type: 'string', name: 'username', required: true },
      { type: 'string', name: 'password', required: true },
    ],
    errors,
    description_placeholders: null,
    last_step: null,
    preview: null,
    step_id: 'init',
  };
}

/** A completed flow (spec §3.3 step 5); `result` is the authorization code. */
export function createEntry(flowId: string) {
  return {
    type: 'create_entry',
    flow_id: flowId,
    handler: ['homeassistant', null],
    description: null,
    description_placeholders: null,
    result: expect.stringMatching(HEX32) as unknown,
  };
}

/** The token endpoint's answer to a good authorization code (spec §6.1). */
export const ISSUED_TOKENS = {
  access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) as unknown,
  token_type: 'Bearer',
  refresh_token: expect.stringMatching(/^[0-9a-f]{128}$/) as unknown,
  expires_in: 1800,
  ha_auth_provider: 'homeassistant',
};

export const INVALID_CODE = { error: 'invalid_request', error_description: 'Invalid code' };

/** A `homeassistant` password entry with no credential and no user behind it. */
export async function addLooseLogin(server: TestServer, username: string, password: string): Promise<void> {
  const added = await server.store.users.addPassword({ username, passwordHash: await hashPassword(password, { rounds: 4 }) });
  if (!added) throw new Error(`username ${username} taken`);
}

/** A user (not the owner) who logs in with `username` and `password` through the homeassistant provider. */
export async function addUserWithLogin(server: TestServer, username: string, password: string, overrides: Partial<User> = {}): Promise<User> {
  const user = aUser({ name: username, groupIds: ['system-users'], createdAt: server.clock.now, ...overrides });
  if (!(await server.store.users.createUser(user))) throw new Error(`user ${username} not created`);
  await addLooseLogin(server, username, password);
  const credential = {
    id: newId(),
    userId: user.id,
    authProviderType: 'homeassistant',
    authProviderId: null,
    data: { username },
    lookupKey: username,
  };
  if (!(await server.store.users.addCredential(credential))) throw new Error(`credential ${username} not added`);
  return user;
}

/**
 * A test server as `startTestServer` builds it, but behind a trusted proxy on 127.0.0.1, so that
 * `X-Forwarded-For` sets the client IP the service sees.
 */
export function startProxiedServer(kind: StoreKind, start = START): Promise<TestServer> {
  return startTestServer(kind, start, { trustProxy: ['127.0.0.1'] });
}
