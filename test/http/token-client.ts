/**
 * What the HTTP tests of /auth/token, /auth/revoke and GET /api/ share: the requests a Home Assistant
 * client sends, the checks every token-endpoint answer shares (ha-auth-spec §6.1), and a look at the
 * store (a spy on its writes, a snapshot of what it lists) for the tests that must change nothing.
 */
import { expect, vi } from 'vitest';
import type { Store } from '../../src/stores/types.js';
import type { User } from '../../src/domain/models.js';
import { CLIENT_ID, type TestServer } from '../support/test-server.js';
import { exchangeCode, logIn, type FormFields, type IssuedTokens } from '../support/http-client.js';

/** Another client id that passes `verify_client_id` (a domain name). */
export const OTHER_CLIENT_ID = 'https://other.example/';
/** The owner `onboardOwner` creates. */
export const USERNAME = 'alice';
export const PASSWORD = 'secret-password';

export const HEX_128 = /^[0-9a-f]{128}$/;
export const HEX_32 = /^[0-9a-f]{32}$/;

/** The same fields as multipart/form-data, built with `FormData` as the Home Assistant frontend does. */
export function postMultipart(server: TestServer, path: string, fields: FormFields): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) if (typeof value === 'string') form.append(name, value);
  return fetch(`${server.baseUrl}${path}`, { method: 'POST', body: form });
}

/** A fresh, unredeemed authorization code of the onboarded owner, from a real login flow. */
export async function newCode(server: TestServer, clientId = CLIENT_ID): Promise<string> {
  const redirectUri = clientId === CLIENT_ID ? undefined : `${clientId}cb`;
  const done = await logIn(server, USERNAME, PASSWORD, clientId, redirectUri);
  if (done.type !== 'create_entry' || done.result === undefined) throw new Error(`login failed: ${JSON.stringify(done)}`);
  return done.result;
}

/** Redeems a fresh code: a new session (refresh token) of the owner. */
export async function newSession(server: TestServer): Promise<IssuedTokens> {
  const response = await exchangeCode(server, await newCode(server));
  expect(response.status).toBe(200);
  return (await response.json()) as IssuedTokens;
}

export function getApi(server: TestServer, authorization?: string): Promise<Response> {
  return fetch(`${server.baseUrl}/api/`, { headers: authorization === undefined ? {} : { authorization } });
}

/** The status GET /api/ answers for this access token (200 when it works, 401 when it does not). */
export async function apiStatus(server: TestServer, accessToken: string): Promise<number> {
  const response = await getApi(server, `Bearer ${accessToken}`);
  await response.arrayBuffer();
  return response.status;
}

/** An error of the token endpoint: exact status and JSON body, and none of the success-only cache headers. */
export async function expectTokenError(response: Response, status: number, body: Record<string, string>): Promise<void> {
  expect({ status: response.status, body: await response.json() }).toEqual({ status, body });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBeNull();
  expect(response.headers.get('pragma')).toBeNull();
}

/** 200 with an empty body: what revocation always answers (ha-auth-spec §6.2). */
export async function expectEmpty200(response: Response): Promise<void> {
  expect({ status: response.status, body: await response.text() }).toEqual({ status: 200, body: '' });
}

export async function expectUnauthorized(response: Response): Promise<void> {
  expect({ status: response.status, body: await response.text() }).toEqual({ status: 401, body: '401: Unauthorized' });
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
}

/** Header and payload of a JWT, decoded without verification. */
export function decodeJwt(token: string): { header: unknown; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as unknown;
  return { header: decode(header), payload: decode(payload) as Record<string, unknown> };
}

/** The refresh-token id an access token speaks for (its `iss`). */
export function issuerOf(accessToken: string): string {
  const { iss } = decodeJwt(accessToken).payload;
  if (typeof iss !== 'string') throw new Error('access token without iss');
  return iss;
}

export async function theOwner(server: TestServer): Promise<User> {
  const owner = (await server.store.users.listUsers()).find((user) => user.isOwner);
  if (owner === undefined) throw new Error('no owner: onboard first');
  return owner;
}

export async function setOwnerActive(server: TestServer, isActive: boolean): Promise<void> {
  const owner = await theOwner(server);
  expect(await server.store.users.updateUser({ ...owner, isActive })).toBe(true);
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Status and body of an answer: parsed JSON, or the text (empty for revocation). */
export interface Answer {
  status: number;
  body: unknown;
}

export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
  return { status: response.status, body: isJson ? (JSON.parse(text) as unknown) : text };
}

/** Every method of the store contract that writes. */
const WRITES = {
  users: ['createUser', 'updateUser', 'deleteUser', 'addCredential', 'removeCredential', 'addPassword', 'setPassword', 'deletePassword'],
  grants: ['create', 'compareAndSet', 'delete'],
  flows: ['create', 'compareAndSet', 'delete'],
  refreshTokens: ['create', 'compareAndSet', 'delete'],
  revocations: ['publish'],
} as const;

/** Spies on every write method from now on; the returned function lists those called, with counts. */
export function spyOnWrites(store: Store): () => string[] {
  const spies = Object.entries(WRITES).flatMap(([part, names]) => {
    const target = store[part as keyof typeof WRITES] as unknown as Record<string, (...args: never[]) => unknown>;
    return names.map((name) => ({ name: `${part}.${name}`, spy: vi.spyOn(target, name) }));
  });
  for (const { spy } of spies) spy.mockClear();
  return () => spies.flatMap(({ name, spy }) => (spy.mock.calls.length > 0 ? [`${name} ×${spy.mock.calls.length}`] : []));
}

/** Everything the store can list: users, passwords, credentials, refresh tokens (envelopes included). */
export async function storedData(store: Store) {
  const byId = <T extends { id: string }>(items: T[]) => items.sort((a, b) => a.id.localeCompare(b.id));
  const users = byId(await store.users.listUsers());
  return {
    users,
    passwords: await store.users.listPasswords(),
    credentials: await Promise.all(users.map(async (user) => byId(await store.users.listCredentials(user.id)))),
    refreshTokens: await Promise.all(users.map(async (user) => byId(await store.refreshTokens.listByUser(user.id)))),
  };
}
