/**
 * Bad input over real HTTP (SQLite): junk never gets a 500, never writes to the store, and gets the
 * answer Home Assistant documents for it (ha-auth-spec §0, §3.2-§3.5, §6.1, §6.2, §8.3, §13.2).
 *
 * Most requests come from a small seeded generator (junk-requests.ts), so that every run sends the same few hundred
 * requests, each with its expected answer computed by an oracle written from the spec: the token
 * endpoint's dispatch and checks, client ids whose validity the spec states, voluptuous' first error.
 * Every write method of the store is spied on; the junk must call none of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type TestServer } from '../support/test-server.js';
import { answerOf, apiStatus, newCode, newSession, spyOnWrites, storedData, type Answer } from './token-client.js';
import {
  seeded,
  type Secrets,
  junkPairs,
  encode,
  formData,
  junkAuthorization,
  EMPTY_200,
  oauthError,
  INVALID_CLIENT_ID,
  INVALID_CODE,
  tokenEndpointAnswer,
  revokeEndpointAnswer,
  badJson,
  loginFlowStartCase,
  loginFlowStepCase,
  onboardingUserCase,
  unknownFlowId,
  shorten,
  type Sent,
} from './junk-requests.js';
import { type IssuedTokens, exchangeCode, onboardOwner, refreshGrant } from '../support/http-client.js';

describe('bad input (SQLite)', () => {
  let server: TestServer;
  /** A session made before the junk: it must still work after it. */
  let session: IssuedTokens;
  let secrets: Secrets;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    await onboardOwner(server);
    session = await newSession(server);
    secrets = { refreshToken: session.refresh_token, accessToken: session.access_token };
  });
  afterAll(async () => {
    await server.close();
  });

  const send = (path: string, init: RequestInit) => fetch(`${server.baseUrl}${path}`, init);

  it('answers a seeded batch of junk requests exactly as documented, never with a 500, and writes nothing', async () => {
    const rng = seeded(0x5eed);
    const sent: Sent[] = [];
    const writes = spyOnWrites(server.store);
    const before = await storedData(server.store);
    const check = async (what: string, expected: Answer, response: Promise<Response>) => {
      sent.push({ what, expected, actual: await answerOf(await response) });
    };

    for (let i = 0; sent.length < 240; i += 1) {
      const pairs = junkPairs(rng, secrets);
      const path = rng.chance(0.8) ? '/auth/token' : '/auth/revoke';
      const encoded = await encode(rng, pairs);
      const expected = path === '/auth/token' ? tokenEndpointAnswer(encoded.read, secrets.refreshToken) : revokeEndpointAnswer(encoded.read, secrets.refreshToken);
      if (expected === 'effective') continue;
      const what = `#${i} POST ${path} (${encoded.label}) ${shorten(JSON.stringify(pairs))}`;
      await check(what, expected, send(path, { method: 'POST', headers: encoded.headers, body: encoded.body }));
    }
    for (let i = 0; i < 30; i += 1) {
      const { body, answer } = loginFlowStartCase(rng);
      await check(`POST /auth/login_flow ${shorten(body)}`, answer, send('/auth/login_flow', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    }
    for (let i = 0; i < 30; i += 1) {
      const flowId = encodeURIComponent(unknownFlowId(rng));
      const { body, answer } = loginFlowStepCase(rng);
      await check(`POST /auth/login_flow/${flowId} ${shorten(body)}`, answer, send(`/auth/login_flow/${flowId}`, { method: 'POST', body }));
      const method = rng.pick(['DELETE', 'GET']);
      await check(`${method} /auth/login_flow/${flowId}`, { status: 404, body: { message: 'Invalid flow specified' } }, send(`/auth/login_flow/${flowId}`, { method }));
    }
    for (let i = 0; i < 25; i += 1) {
      const { body, answer } = onboardingUserCase(rng);
      await check(`POST /api/onboarding/users ${shorten(body)}`, answer, send('/api/onboarding/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    }
    for (let i = 0; i < 30; i += 1) {
      const authorization = await junkAuthorization(rng, secrets, server.clock.now);
      await check(`GET /api/ with ${shorten(authorization)}`, { status: 401, body: '401: Unauthorized' }, send('/api/', { headers: { authorization } }));
    }

    expect(sent.length).toBe(240 + 30 + 2 * 30 + 25 + 30);
    expect(sent.filter((s) => s.actual.status >= 500)).toEqual([]);
    expect(sent.filter((s) => JSON.stringify(s.actual) !== JSON.stringify(s.expected))).toEqual([]);
    expect(writes()).toEqual([]);
    expect(await storedData(server.store)).toEqual(before);
    // The generator did reach every answer of the token endpoint.
    const bodies = new Set(sent.map((s) => JSON.stringify(s.expected.body)));
    for (const error of ['invalid_grant', 'unsupported_grant_type', 'Invalid client id', 'Invalid code']) {
      expect([...bodies].some((body) => body.includes(error))).toBe(true);
    }
    expect(bodies.has('""')).toBe(true);
    expect(bodies.has(JSON.stringify({ error: 'invalid_request' }))).toBe(true);
  });

  it('reads 1 MiB values like any others, and answers a 2 MiB body with 413, not 500', async () => {
    const writes = spyOnWrites(server.store);
    const big = 'x'.repeat(1024 * 1024 - 1024);
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const rows: Array<[string, RequestInit, Answer]> = [
      ['/auth/token', form({ grant_type: big }), oauthError({ error: 'unsupported_grant_type' })],
      ['/auth/token', form({ grant_type: 'authorization_code', client_id: `https://app.example/${big}`, code: 'x' }), INVALID_CODE],
      ['/auth/token', form({ grant_type: 'authorization_code', client_id: big, code: 'x' }), INVALID_CLIENT_ID],
      ['/auth/token', form({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: big }), INVALID_CODE],
      ['/auth/token', form({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: big }), oauthError({ error: 'invalid_grant' })],
      ['/auth/token', form({ action: 'revoke', token: big }), EMPTY_200],
      ['/auth/revoke', form({ token: big }), EMPTY_200],
      ['/auth/login_flow', { method: 'POST', body: JSON.stringify({ client_id: big, handler: ['homeassistant', null], redirect_uri: 'x' }) }, { status: 400, body: { message: 'Invalid client id' } }],
    ];
    for (const [path, init, expected] of rows) expect(await answerOf(await send(path, init))).toEqual(expected);

    const huge = 'y'.repeat(2 * 1024 * 1024);
    for (const path of ['/auth/token', '/auth/revoke', '/auth/login_flow', '/api/onboarding/users', `/auth/login_flow/${newId()}`]) {
      const response = await send(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${huge}` });
      expect({ path, status: response.status }).toEqual({ path, status: 413 });
      await response.arrayBuffer();
    }
    expect(writes()).toEqual([]);
  });

  it('never revokes or refreshes through a form it cannot read: invalid UTF-8, truncated or mislabelled multipart', async () => {
    const writes = spyOnWrites(server.store);
    const secret = secrets.refreshToken;
    const raw = (...parts: Array<string | number[]>) => new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))));
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    const rows: Array<[string, RequestInit, Answer]> = [
      ['/auth/revoke', { method: 'POST', headers: formType, body: raw('token=', [0xff], secret) }, EMPTY_200],
      ['/auth/revoke', { method: 'POST', headers: formType, body: raw('token=', secret, [0xc3]) }, EMPTY_200],
      ['/auth/revoke', { method: 'POST', headers: formType, body: raw([0xfe], 'token=', secret) }, EMPTY_200],
      ['/auth/token', { method: 'POST', headers: formType, body: raw('grant_type=refresh_token&client_id=', CLIENT_ID, '&refresh_token=%FF', secret) }, oauthError({ error: 'invalid_grant' })],
      ['/auth/token', { method: 'POST', headers: formType, body: raw('grant_type=', [0xe2, 0x82], 'refresh_token') }, oauthError({ error: 'unsupported_grant_type' })],
    ];
    const multipart = new Response(formData([['grant_type', 'refresh_token'], ['client_id', CLIENT_ID], ['refresh_token', secret], ['action', 'revoke'], ['token', secret]]));
    const contentType = multipart.headers.get('content-type') ?? '';
    const bytes = new Uint8Array(await multipart.arrayBuffer());
    for (const cut of [0, 10, Math.floor(bytes.length / 2), bytes.length - 20, bytes.length - 3]) {
      for (const path of ['/auth/token', '/auth/revoke']) {
        const expected = path === '/auth/token' ? oauthError({ error: 'unsupported_grant_type' }) : EMPTY_200;
        rows.push([path, { method: 'POST', headers: { 'content-type': contentType }, body: bytes.slice(0, cut) }, expected]);
      }
    }
    for (const mislabelled of ['multipart/form-data', 'multipart/form-data; boundary=other', 'application/json', 'text/plain']) {
      rows.push(['/auth/revoke', { method: 'POST', headers: { 'content-type': mislabelled }, body: bytes }, EMPTY_200]);
    }
    for (const [path, init, expected] of rows) expect(await answerOf(await send(path, init))).toEqual(expected);
    expect(writes()).toEqual([]);
    expect(await apiStatus(server, secrets.accessToken)).toBe(200);
  });

  it('answers a huge Authorization header with 401 up to the header limit and a 4xx beyond it, never 500', async () => {
    for (const length of [8_000, 8_193, 12_000]) {
      const response = await send('/api/', { headers: { authorization: `Bearer ${'a'.repeat(length)}` } });
      expect({ length, answer: await answerOf(response) }).toEqual({ length, answer: { status: 401, body: '401: Unauthorized' } });
    }
    for (const path of ['/api/', '/auth/token']) {
      const response = await send(path, { method: path === '/api/' ? 'GET' : 'POST', headers: { authorization: `Bearer ${'a'.repeat(64 * 1024)}` } });
      expect(response.status).toBe(431);
      await response.arrayBuffer();
    }
  });

  it('answers unsupported methods on known paths with 404 or 405, never 500', async () => {
    const writes = spyOnWrites(server.store);
    const paths = ['/auth/token', '/auth/revoke', '/api/', '/api/onboarding/users', '/auth/login_flow', `/auth/login_flow/${newId()}`];
    const seen: Array<{ request: string; status: number }> = [];
    for (const path of paths) {
      for (const method of ['PUT', 'PATCH', 'DELETE', 'GET']) {
        if ((method === 'GET' && ['/api/', '/auth/login_flow'].includes(path)) || (method === 'DELETE' && path.startsWith('/auth/login_flow/'))) continue;
        const response = await send(path, { method, ...(['PUT', 'PATCH'].includes(method) ? { body: 'grant_type=refresh_token' } : {}) });
        await response.arrayBuffer();
        seen.push({ request: `${method} ${path}`, status: response.status });
      }
    }
    expect(seen.filter(({ status }) => status !== 404 && status !== 405)).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it('refuses an OPTIONS request that is not a CORS preflight with a 400, never a 500', async () => {
    const statuses = [];
    for (const path of ['/auth/token', '/api/', '/auth/login_flow']) {
      const response = await send(path, { method: 'OPTIONS' });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([400, 400, 400]);
  });

  it('treats keys named like Object.prototype members as the plain keys they are (voluptuous messages, no "undefined")', async () => {
    const postJson = async (path: string, body: string) => answerOf(await send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    const start = `"client_id": "${CLIENT_ID}", "handler": ["homeassistant", null], "redirect_uri": "${REDIRECT_URI}"`;
    const owner = `"name": "A", "username": "b", "password": "c", "client_id": "${CLIENT_ID}", "language": "en"`;
    const answers = {
      constructor: await postJson('/auth/login_flow', `{"constructor": 1, ${start}}`),
      proto: await postJson('/auth/login_flow', `{"__proto__": {}, ${start}}`),
      toString: await postJson('/api/onboarding/users', `{"toString": "x", ${owner}}`),
      // The step schema allows extra keys: an unknown flow is then just that.
      hasOwnProperty: await postJson(`/auth/login_flow/${newId()}`, `{"client_id": "${CLIENT_ID}", "hasOwnProperty": 1}`),
    };
    expect(answers).toEqual({
      constructor: badJson("extra keys not allowed @ data['constructor']"),
      proto: badJson("extra keys not allowed @ data['__proto__']"),
      toString: badJson("extra keys not allowed @ data['toString']"),
      hasOwnProperty: { status: 404, body: { message: 'Invalid flow specified' } },
    });
  });

  it('answers over-long and malformed flow ids as unknown flows, with Home Assistant headers like every other answer', async () => {
    const headersOf = (response: Response) => ({
      'referrer-policy': response.headers.get('referrer-policy'),
      'x-content-type-options': response.headers.get('x-content-type-options'),
      'x-frame-options': response.headers.get('x-frame-options'),
    });
    const homeAssistantHeaders = { 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' };
    const seen: unknown[] = [];
    const expected: unknown[] = [];
    // aiohttp has no limit on a path parameter's length: a long id is an unknown flow.
    for (const method of ['DELETE', 'POST']) {
      const response = await send(`/auth/login_flow/${'a'.repeat(101)}`, { method, body: method === 'POST' ? JSON.stringify({ client_id: CLIENT_ID }) : null });
      seen.push({ method, answer: await answerOf(response), headers: headersOf(response) });
      expected.push({ method, answer: { status: 404, body: { message: 'Invalid flow specified' } }, headers: homeAssistantHeaders });
    }
    for (const id of ['%FF', '%E0%A4%A', '%']) {
      const response = await send(`/auth/login_flow/${id}`, { method: 'DELETE' });
      seen.push({ id, status: response.status < 500, headers: headersOf(response) });
      expected.push({ id, status: true, headers: homeAssistantHeaders });
      await response.arrayBuffer();
    }
    expect(seen).toEqual(expected);
  });

  it('still serves the session made before the junk, and a new login', async () => {
    expect(await apiStatus(server, session.access_token)).toBe(200);
    const refreshed = await refreshGrant(server, session.refresh_token);
    expect(refreshed.status).toBe(200);
    expect(await apiStatus(server, ((await refreshed.json()) as { access_token: string }).access_token)).toBe(200);
    const exchanged = await exchangeCode(server, await newCode(server));
    expect(exchanged.status).toBe(200);
    expect(await apiStatus(server, ((await exchanged.json()) as IssuedTokens).access_token)).toBe(200);
  });
});
