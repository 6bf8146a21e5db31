/** POST /auth/link_user (ha-auth-spec §3.6) and GET /auth/external/callback (§7), against the real server. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashPassword } from '../../src/domain/passwords.js';
import { oauth2StateService } from '../../src/services/login/oauth2-state.js';
import { StoreUnavailableError } from '../../src/stores/types.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type TestServer } from '../support/test-server.js';
import { onboardOwner, postJson } from '../support/http-client.js';

describe('POST /auth/link_user', () => {
  let server: TestServer;
  let bearer: Record<string, string>;
  beforeEach(async () => {
    server = await startTestServer('sqlite');
    const { access_token: token } = await onboardOwner(server);
    bearer = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  });
  afterEach(() => server.close());

  const link = (body: unknown, headers = bearer) =>
    fetch(`${server.baseUrl}/auth/link_user`, { method: 'POST', headers, body: JSON.stringify(body) });

  /** A code from a `link_user` flow for `username` (added like the CLI's `user add`: a password without a user). */
  async function linkCode(username: string) {
    await server.store.users.addPassword({ username, passwordHash: await hashPassword('pw', { rounds: 4 }) });
    const started = await postJson(server, '/auth/login_flow', {
      client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI, type: 'link_user',
    });
    const { flow_id: flowId } = (await started.json()) as { flow_id: string };
    const done = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, username, password: 'pw' });
    return ((await done.json()) as { result: string }).result;
  }

  it('links a new credential to the signed-in user, once per code', async () => {
    const code = await linkCode('bob');
    const response = await link({ code, client_id: CLIENT_ID });
    expect([response.status, await response.json()]).toEqual([200, { message: 'User linked' }]);
    const owner = (await server.store.users.listUsers()).find((user) => user.isOwner);
    const linked = await server.store.users.findCredential('homeassistant', null, 'bob');
    expect(linked?.userId).toBe(owner?.id);
    const again = await link({ code, client_id: CLIENT_ID });
    expect([again.status, await again.json()]).toEqual([400, { message: 'Invalid code' }]);
  });

  it('refuses a code for another client and an unknown code', async () => {
    const code = await linkCode('bob');
    const other = await link({ code, client_id: 'http://127.0.0.1:9999/' });
    expect([other.status, await other.json()]).toEqual([400, { message: 'Invalid code' }]);
    const unknown = await link({ code: 'f'.repeat(32), client_id: CLIENT_ID });
    expect([unknown.status, await unknown.json()]).toEqual([400, { message: 'Invalid code' }]);
  });

  it("answers 'User linked' for a credential of the caller and refuses one of another user", async () => {
    const own = await link({ code: await loginCodeOf('alice'), client_id: CLIENT_ID });
    expect([own.status, await own.json()]).toEqual([200, { message: 'User linked' }]);
    const code = await linkCode('carol');
    const exchanged = await fetch(`${server.baseUrl}/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: await loginCodeOf('carol') }),
    });
    expect(exchanged.status).toBe(200); // carol now has a user of her own
    const theirs = await link({ code, client_id: CLIENT_ID });
    expect([theirs.status, await theirs.json()]).toEqual([400, { message: 'Credential already linked' }]);
  });

  async function loginCodeOf(username: string) {
    const password = username === 'alice' ? 'secret-password' : 'pw';
    const started = await postJson(server, '/auth/login_flow', {
      client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI, type: 'link_user',
    });
    const { flow_id: flowId } = (await started.json()) as { flow_id: string };
    const done = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, username, password });
    return ((await done.json()) as { result: string }).result;
  }

  it('needs a Bearer token, and both fields (where Home Assistant answers 500)', async () => {
    const anonymous = await link({ code: 'x', client_id: CLIENT_ID }, { 'content-type': 'application/json' });
    expect([anonymous.status, await anonymous.text()]).toEqual([401, '401: Unauthorized']);
    const missing = await link({ client_id: CLIENT_ID });
    expect([missing.status, await missing.json()]).toEqual([
      400,
      { message: "Message format incorrect: required key not provided @ data['code']" },
    ]);
  });
});

describe('GET /auth/external/callback', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer('sqlite');
  });
  afterEach(() => server.close());
  const callback = async (query: string) => {
    const response = await fetch(`${server.baseUrl}/auth/external/callback${query}`);
    return [response.status, response.headers.get('content-type'), await response.text()];
  };
  const validState = () => oauth2StateService(server.store, () => server.clock.now).encode({ flow_id: 'f1', redirect_uri: 'https://x/cb' });

  it('answers each case with Home Assistant\'s text', async () => {
    const text = 'text/plain; charset=utf-8';
    expect(await callback('')).toEqual([200, text, 'Missing state parameter']);
    expect(await callback('?state=forged&code=abc')).toEqual([
      400, text, 'Invalid state. Is My Home Assistant configured to go to the right instance?',
    ]);
    const state = await validState();
    expect(await callback(`?state=${state}`)).toEqual([200, text, 'Missing code or error parameter']);
    expect(await callback(`?state=${state}&code=abc`)).toEqual([200, 'text/html; charset=utf-8', '<script>window.close()</script>']);
    expect(await callback(`?state=${state}&error=access_denied`)).toEqual([200, 'text/html; charset=utf-8', '<script>window.close()</script>']);
  });

  it('refuses a state past its 10 minutes', async () => {
    const state = await validState();
    server.clock.now += 600_000;
    expect((await callback(`?state=${state}&code=abc`))[0]).toBe(400);
  });

  it('answers 503 while the store cannot be reached, rather than calling a good state invalid', async () => {
    const state = await validState();
    vi.spyOn(server.store.secrets, 'getOrCreate').mockRejectedValue(new StoreUnavailableError('Redis is unavailable'));
    expect(await callback(`?state=${state}&code=abc`)).toEqual([
      503, 'application/json; charset=utf-8', JSON.stringify({ message: 'Service unavailable: the store cannot be reached' }),
    ]);
  });
});
