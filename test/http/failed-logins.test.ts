/**
 * What counts as a failed login over HTTP and what resets the count (ha-auth-spec §11's tables), on
 * both stores: each row is one request from a fresh client address, and the store's count of that
 * address says whether it counted. The threshold is high, so that nobody gets banned here
 * (ip-bans.test.ts has the bans). The WebSocket rows are in test/ws/login-attempts.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpTotp, totpAt, wrongCode } from '../support/mfa.js';
import { CLIENT_ID, REDIRECT_URI, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { tokensOf } from '../ws/ws-helpers.js';
import { addUserWithLogin } from './http-helpers.js';
import { aClientIp, failuresOf, httpConfig, startBanServer } from './ip-ban-helpers.js';
import { fetchFrom, onboardOwner, postForm, postJson } from '../support/http-client.js';

const ALICE = { username: 'alice', password: 'secret-password' };
const FLOW_START = { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI };

interface Row {
  row: string;
  /** Sends the request from `ip`; returns its status. */
  send: (server: TestServer, ip: string, tokens: { access_token: string; refresh_token: string }) => Promise<number>;
  status: number;
}

const statusOf = async (response: Promise<Response>) => {
  const answered = await response;
  await answered.arrayBuffer();
  return answered.status;
};

async function flowFrom(server: TestServer, ip: string): Promise<string> {
  const started = await postJson(server, '/auth/login_flow', FLOW_START, ip);
  return ((await started.json()) as { flow_id: string }).flow_id;
}

const step = (server: TestServer, ip: string, flowId: string, input: Record<string, unknown>) =>
  statusOf(postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, ...input }, ip));

const COUNTED: Row[] = [
  { row: 'a protected view without a token (401)', status: 401, send: (s, ip) => statusOf(fetchFrom(s, '/api/', {}, ip)) },
  {
    row: 'a protected view with an invalid Bearer token (401)',
    status: 401,
    send: (s, ip) => statusOf(fetchFrom(s, '/api/', { headers: { authorization: 'Bearer not.a.token' } }, ip)),
  },
  {
    row: 'a signed path with a bad authSig (401)',
    status: 401,
    send: (s, ip) => statusOf(fetchFrom(s, '/api/?authSig=eyJhbGciOiJIUzI1NiJ9.e30.c2ln', {}, ip)),
  },
  { row: 'installation_type after onboarding (401)', status: 401, send: (s, ip) => statusOf(fetchFrom(s, '/api/onboarding/installation_type', {}, ip)) },
  { row: 'link_user without a token (401)', status: 401, send: (s, ip) => statusOf(postJson(s, '/auth/link_user', {}, ip)) },
  {
    row: 'the token endpoint: unsupported_grant_type',
    status: 400,
    send: (s, ip) => statusOf(postForm(s, '/auth/token', { grant_type: 'password', client_id: CLIENT_ID }, ip)),
  },
  {
    row: 'the token endpoint: invalid_grant',
    status: 400,
    send: (s, ip) => statusOf(postForm(s, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: 'f'.repeat(128) }, ip)),
  },
  {
    row: 'the token endpoint: an unknown code',
    status: 400,
    send: (s, ip) => statusOf(postForm(s, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code: 'f'.repeat(32) }, ip)),
  },
  {
    row: 'the token endpoint: an invalid client id',
    status: 400,
    send: (s, ip) => statusOf(postForm(s, '/auth/token', { grant_type: 'authorization_code', client_id: 'not a url', code: 'f'.repeat(32) }, ip)),
  },
  {
    row: 'login_flow start: an invalid client id (400 from the view)',
    status: 400,
    send: (s, ip) => statusOf(postJson(s, '/auth/login_flow', { ...FLOW_START, client_id: 'not a url' }, ip)),
  },
  {
    row: 'login_flow start: an unknown handler (404)',
    status: 404,
    send: (s, ip) => statusOf(postJson(s, '/auth/login_flow', { ...FLOW_START, handler: ['command_line', null] }, ip)),
  },
  {
    row: 'login_flow step: an unknown flow (404)',
    status: 404,
    send: (s, ip) => step(s, ip, 'f'.repeat(32), ALICE),
  },
  {
    row: 'login_flow step: malformed user input (400)',
    status: 400,
    send: async (s, ip) => step(s, ip, await flowFrom(s, ip), { username: 'alice' }),
  },
  {
    row: 'login_flow step: a redirect_uri of another origin (403)',
    status: 403,
    send: async (s, ip) => {
      const started = await postJson(s, '/auth/login_flow', { ...FLOW_START, redirect_uri: 'https://evil.example/cb' }, ip);
      return step(s, ip, ((await started.json()) as { flow_id: string }).flow_id, ALICE);
    },
  },
  {
    row: 'login_flow step: a wrong password (200 form, errors.base invalid_auth)',
    status: 200,
    send: async (s, ip) => step(s, ip, await flowFrom(s, ip), { ...ALICE, password: 'wrong' }),
  },
];

const NOT_COUNTED: Row[] = [
  {
    row: 'login_flow start: a body that is not JSON (the validator)',
    status: 400,
    send: (s, ip) => statusOf(fetchFrom(s, '/auth/login_flow', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }, ip)),
  },
  {
    row: 'login_flow start: a body without client_id (the validator)',
    status: 400,
    send: (s, ip) => statusOf(postJson(s, '/auth/login_flow', { handler: ['homeassistant', null], redirect_uri: REDIRECT_URI }, ip)),
  },
  {
    row: 'login_flow step: a body without client_id (the validator)',
    status: 400,
    send: async (s, ip) => statusOf(postJson(s, `/auth/login_flow/${await flowFrom(s, ip)}`, ALICE, ip)),
  },
  { row: 'login_flow start (200 form without errors)', status: 200, send: (s, ip) => statusOf(postJson(s, '/auth/login_flow', FLOW_START, ip)) },
  { row: 'GET of a flow (404)', status: 404, send: (s, ip) => statusOf(fetchFrom(s, `/auth/login_flow/${'f'.repeat(32)}`, {}, ip)) },
  { row: 'DELETE of an unknown flow (404)', status: 404, send: (s, ip) => statusOf(fetchFrom(s, `/auth/login_flow/${'f'.repeat(32)}`, { method: 'DELETE' }, ip)) },
  { row: 'GET /auth/login_flow (405)', status: 405, send: (s, ip) => statusOf(fetchFrom(s, '/auth/login_flow', {}, ip)) },
  { row: '/auth/revoke with an unknown token', status: 200, send: (s, ip) => statusOf(postForm(s, '/auth/revoke', { token: 'f'.repeat(128) }, ip)) },
  { row: 'action=revoke at the token endpoint', status: 200, send: (s, ip) => statusOf(postForm(s, '/auth/token', { action: 'revoke', token: 'x' }, ip)) },
  {
    row: 'link_user with a bad body, signed in (400)',
    status: 400,
    send: (s, ip, tokens) =>
      statusOf(
        fetchFrom(s, '/auth/link_user', {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ client_id: CLIENT_ID, code: 'f'.repeat(32) }),
        }, ip),
      ),
  },
  {
    row: 'onboarding a second owner (403)',
    status: 403,
    send: (s, ip) =>
      statusOf(postJson(s, '/api/onboarding/users', { name: 'Eve', username: 'eve', password: 'pw', client_id: CLIENT_ID, language: 'en' }, ip)),
  },
  { row: 'an unknown path (404)', status: 404, send: (s, ip) => statusOf(fetchFrom(s, '/api/nothing-here', {}, ip)) },
  {
    row: 'a good refresh grant (200)',
    status: 200,
    send: (s, ip, tokens) => statusOf(postForm(s, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: tokens.refresh_token }, ip)),
  },
];

describe.each(['sqlite', 'redis'] as const)('failed logins over HTTP (%s)', (kind) => {
  let server: TestServer;
  let tokens: { access_token: string; refresh_token: string };
  beforeAll(async () => {
    server = await startBanServer(kind, httpConfig(1000));
    tokens = await onboardOwner(server, ALICE.username, ALICE.password);
  });
  afterAll(() => server.close());

  it.for(COUNTED)('counts $row', async ({ send, status }) => {
    const ip = aClientIp();
    expect(await send(server, ip, tokens)).toBe(status);
    expect(await failuresOf(server, ip)).toBe(1);
  });

  it.for(NOT_COUNTED)('does not count $row', async ({ send, status }) => {
    const ip = aClientIp();
    expect(await send(server, ip, tokens)).toBe(status);
    expect(await failuresOf(server, ip)).toBe(0);
  });

  it('counts "Login blocked" (403 on completion) for an inactive user', async () => {
    const ip = aClientIp();
    const ivan = await addUserWithLogin(server, `ivan-${kind}`, 'ivan-password');
    await server.store.users.updateUser({ ...ivan, isActive: false });
    expect(await step(server, ip, await flowFrom(server, ip), { username: `ivan-${kind}`, password: 'ivan-password' })).toBe(403);
    expect(await failuresOf(server, ip)).toBe(1);
  });

  it('does not count a request refused for its X-Forwarded-For (400 before any view)', async () => {
    const ip = aClientIp();
    const forwarded = `${ip}, not-an-address`;
    const refused = await fetch(`${server.baseUrl}/api/`, { headers: { 'x-forwarded-for': forwarded } });
    expect(refused.status).toBe(400);
    const token = await fetch(`${server.baseUrl}/auth/token`, { method: 'POST', headers: { 'x-forwarded-for': forwarded }, body: new URLSearchParams({ grant_type: 'password' }) });
    expect(token.status).toBe(400);
    expect([await failuresOf(server, ip), await failuresOf(server, 'not-an-address'), await failuresOf(server, '127.0.0.1')]).toEqual([0, 0, 0]);
  });

  it('counts "IP address changed" for the address that sent the step', async () => {
    const [first, second] = [aClientIp(), aClientIp()];
    const flowId = await flowFrom(server, first);
    expect(await step(server, second, flowId, ALICE)).toBe(400);
    expect([await failuresOf(server, first), await failuresOf(server, second)]).toEqual([0, 1]);
  });

  it('counts every failure of an address, and a completed login forgets them', async () => {
    const ip = aClientIp();
    const flowId = await flowFrom(server, ip);
    expect(await step(server, ip, flowId, { ...ALICE, password: 'wrong' })).toBe(200);
    expect(await statusOf(fetchFrom(server, '/api/', {}, ip))).toBe(401);
    expect(await failuresOf(server, ip)).toBe(2);
    const completed = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, ...ALICE }, ip);
    expect(((await completed.json()) as { type: string }).type).toBe('create_entry');
    expect(await failuresOf(server, ip)).toBe(0);
  });

  it('counts a wrong MFA code (200 form, errors.base invalid_code), not the mfa form itself, and the code completing the login resets', async () => {
    const username = `mia-${kind}`;
    await addUserWithLogin(server, username, 'mia-password');
    const socket = await TestSocket.authenticated(server, (await tokensOf(server, username, 'mia-password')).access_token);
    const secret = await setUpTotp(server, socket);
    socket.close();
    const ip = aClientIp();
    const flowId = await flowFrom(server, ip);
    expect(await step(server, ip, flowId, { username, password: 'mia-password' })).toBe(200);
    expect(await failuresOf(server, ip)).toBe(0);
    const wrong = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, code: wrongCode(secret, server.clock.now) }, ip);
    expect(await wrong.json()).toMatchObject({ type: 'form', step_id: 'mfa', errors: { base: 'invalid_code' } });
    expect(await failuresOf(server, ip)).toBe(1);
    server.clock.now += 30_000;
    const right = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, code: totpAt(secret, server.clock.now) }, ip);
    expect(await right.json()).toMatchObject({ type: 'create_entry' });
    expect(await failuresOf(server, ip)).toBe(0);
  });

  it('keeps the count on success elsewhere: a token grant or an authenticated request resets nothing', async () => {
    const ip = aClientIp();
    expect(await statusOf(fetchFrom(server, '/api/', {}, ip))).toBe(401);
    const api = fetchFrom(server, '/api/', { headers: { authorization: `Bearer ${tokens.access_token}` } }, ip);
    expect(await statusOf(api)).toBe(200);
    expect(await failuresOf(server, ip)).toBe(1);
  });
});
