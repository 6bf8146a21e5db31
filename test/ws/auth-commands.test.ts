/** The `auth/*` commands (ha-auth-spec §12.1) over a real socket, on both stores: each success and each error row. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { aLoggedInUser, claimsOf, failure, success, type Tokens } from './ws-helpers.js';
import { onboardOwner, postForm } from '../support/http-client.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, '+00:00').replace(/\.(\d{3})Z$/, '.$1000+00:00');

describe.each(['sqlite', 'redis'] as const)('auth/* commands (%s)', (kind) => {
  let server: TestServer;
  let owner: Tokens;
  let socket: TestSocket;
  let created: number;
  beforeEach(async () => {
    server = await startTestServer(kind);
    created = server.clock.now;
    owner = await onboardOwner(server);
    socket = await TestSocket.authenticated(server, owner.access_token);
  });
  afterEach(async () => {
    socket.close();
    await server.close();
  });

  const api = (token: string) => fetch(`${server.baseUrl}/api/`, { headers: { authorization: `Bearer ${token}` } });
  const currentId = () => claimsOf(owner.access_token).iss as string;

  it('auth/current_user describes the connection\'s user', async () => {
    const result = (await socket.result({ type: 'auth/current_user' })) as Record<string, unknown>;
    expect(result).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      name: 'Alice',
      is_owner: true,
      is_admin: true,
      credentials: [{ auth_provider_type: 'homeassistant', auth_provider_id: null }],
      mfa_modules: [{ id: 'totp', name: 'Authenticator app', enabled: false }],
    });
    const other = await aLoggedInUser(server, 'bob');
    const bob = await TestSocket.authenticated(server, other.tokens.access_token);
    expect(await bob.result({ type: 'auth/current_user' })).toEqual(expect.objectContaining({ name: 'bob', is_owner: false, is_admin: false }));
    bob.close();
  });

  it('auth/refresh_tokens lists the user\'s tokens as Home Assistant serializes them', async () => {
    expect(await socket.result({ type: 'auth/refresh_tokens' })).toEqual([
      {
        auth_provider_type: 'homeassistant',
        client_icon: null,
        client_id: CLIENT_ID,
        client_name: null,
        created_at: iso(created),
        expire_at: iso(created + 90 * DAY_MS),
        id: currentId(),
        is_current: true,
        last_used_at: iso(created),
        last_used_ip: '127.0.0.1',
        rotation: null,
        type: 'normal',
      },
    ]);
    await aLoggedInUser(server, 'bob'); // another user's tokens are not listed
    expect(await socket.result({ type: 'auth/refresh_tokens' })).toHaveLength(1);
  });

  it('auth/long_lived_access_token makes a token that works on HTTP and on the socket, listed as such', async () => {
    server.clock.now += 1234;
    const token = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', client_icon: 'mdi:robot', lifespan: 3650 })) as string;
    const claims = claimsOf(token);
    expect((claims.exp as number) - (claims.iat as number)).toBe(3650 * 24 * 60 * 60);
    expect((await api(token)).status).toBe(200);
    const other = await TestSocket.authenticated(server, token);
    expect(await other.result({ type: 'auth/current_user' })).toEqual(expect.objectContaining({ name: 'Alice' }));
    other.close();
    const tokens = (await socket.result({ type: 'auth/refresh_tokens' })) as Array<Record<string, unknown>>;
    expect(tokens[1]).toEqual({
      auth_provider_type: null,
      client_icon: 'mdi:robot',
      client_id: null,
      client_name: 'script',
      created_at: iso(created + 1234),
      expire_at: null,
      id: claims.iss,
      is_current: false,
      last_used_at: iso(created + 1234),
      last_used_ip: null,
      rotation: null,
      type: 'long_lived_access_token',
    });
  });

  it('auth/long_lived_access_token refuses a taken name and a lifespan below a day, clearly', async () => {
    await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 10 });
    expect(await socket.command({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 10 })).toEqual(
      failure(2, 'home_assistant_error', 'script already exists'),
    );
    expect(await socket.command({ type: 'auth/long_lived_access_token', client_name: 'other', lifespan: 0 })).toEqual(
      failure(3, 'invalid_format', "value must be at least 1 for dictionary value @ data['lifespan']. Got 0"),
    );
  });

  it('auth/delete_refresh_token ends one of the caller\'s tokens and refuses any other id', async () => {
    const llat = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 10 })) as string;
    expect(await socket.command({ type: 'auth/delete_refresh_token', refresh_token_id: claimsOf(llat).iss })).toEqual(success(2, {}));
    expect((await api(llat)).status).toBe(401);
    expect(await socket.command({ type: 'auth/delete_refresh_token', refresh_token_id: claimsOf(llat).iss })).toEqual(
      failure(3, 'invalid_token_id', 'Received invalid token'),
    );
    const bob = await aLoggedInUser(server, 'bob');
    expect(await socket.command({ type: 'auth/delete_refresh_token', refresh_token_id: claimsOf(bob.tokens.access_token).iss })).toEqual(
      failure(4, 'invalid_token_id', 'Received invalid token'),
    );
    expect((await api(bob.tokens.access_token)).status).toBe(200);
  });

  it('auth/delete_refresh_token on the connection\'s own token answers, then the socket closes', async () => {
    expect(await socket.command({ type: 'auth/delete_refresh_token', refresh_token_id: currentId() })).toEqual(success(1, {}));
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
    expect((await api(owner.access_token)).status).toBe(401);
  });

  it('auth/delete_all_refresh_tokens removes the others at once and its own token 2 s after answering', async () => {
    const llat = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 10 })) as string;
    const second = await TestSocket.authenticated(server, llat);
    expect(await socket.command({ type: 'auth/delete_all_refresh_tokens' })).toEqual(success(2, {}));
    await second.closedWithin();
    expect((await api(llat)).status).toBe(401);
    expect((await api(owner.access_token)).status).toBe(200);
    server.timers.advance(1999);
    expect(await socket.command({ type: 'ping' })).toEqual({ id: 3, type: 'pong' });
    server.timers.advance(1);
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
    expect((await api(owner.access_token)).status).toBe(401);
  });

  it('auth/delete_all_refresh_tokens keeps tokens of other types, and the current one when asked', async () => {
    const llat = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 10 })) as string;
    const login = await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: owner.refresh_token });
    expect(login.status).toBe(200);
    expect(await socket.command({ type: 'auth/delete_all_refresh_tokens', token_type: 'long_lived_access_token' })).toEqual(success(2, {}));
    expect((await api(llat)).status).toBe(401);
    server.timers.advance(5000); // the current token is `normal`: not matched by the filter, so it stays
    expect((await api(owner.access_token)).status).toBe(200);
    expect(await socket.command({ type: 'auth/delete_all_refresh_tokens', delete_current_token: false })).toEqual(success(3, {}));
    server.timers.advance(5000);
    expect((await api(owner.access_token)).status).toBe(200);
    expect(server.timers.pending).toBeGreaterThan(0); // the heartbeat, nothing of the delete
  });

  it('auth/refresh_token_set_expiry clears and sets the expiry of the caller\'s token', async () => {
    const id = currentId();
    expect(await socket.command({ type: 'auth/refresh_token_set_expiry', refresh_token_id: id, enable_expiry: false })).toEqual(success(1, {}));
    expect(await socket.result({ type: 'auth/refresh_tokens' })).toEqual([expect.objectContaining({ expire_at: null })]);
    server.clock.now += DAY_MS;
    expect(await socket.command({ type: 'auth/refresh_token_set_expiry', refresh_token_id: id, enable_expiry: true })).toEqual(success(3, {}));
    // Enabling counts 90 days from the last use (Home Assistant's `async_set_expiry`).
    expect(await socket.result({ type: 'auth/refresh_tokens' })).toEqual([expect.objectContaining({ expire_at: iso(created + 90 * DAY_MS) })]);
    expect(await socket.command({ type: 'auth/refresh_token_set_expiry', refresh_token_id: 'nope', enable_expiry: true })).toEqual(
      failure(5, 'invalid_token_id', 'Received invalid token'),
    );
  });

  it('auth/sign_path signs any path for 30 s by default with the connection\'s refresh token', async () => {
    const { path } = (await socket.result({ type: 'auth/sign_path', path: '/api/?token=abc' })) as { path: string };
    expect(path).toMatch(/^\/api\/\?token=abc&authSig=[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(claimsOf(path.split('authSig=')[1] ?? '')).toEqual(expect.objectContaining({ iss: currentId(), path: '/api/', params: [['token', 'abc']] }));
    expect((await fetch(`${server.baseUrl}${path}`)).status).toBe(200);
    server.clock.now += 31_000;
    expect((await fetch(`${server.baseUrl}${path}`)).status).toBe(401);
    const expired = (await socket.result({ type: 'auth/sign_path', path: '/api/', expires: -1 })) as { path: string };
    expect((await fetch(`${server.baseUrl}${expired.path}`)).status).toBe(401);
  });
});
