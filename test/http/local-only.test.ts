/**
 * `local_only` users (ha-auth-spec §9.2): refused from outside the local network on Bearer requests,
 * as in Home Assistant, and beyond it (§16.2 #10, #12) on signed paths and on the WebSocket, at the
 * handshake and before each command. The client's address comes from X-Forwarded-For through a
 * trusted proxy on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { aLoggedInUser, type Tokens } from '../ws/ws-helpers.js';
import { startProxiedServer } from './http-helpers.js';
import { onboardOwner } from '../support/http-client.js';

const OUTSIDE = '8.8.8.8';
const LAN = '192.168.1.20';

describe.each(['sqlite', 'redis'] as const)('local-only users (%s)', (kind) => {
  let server: TestServer;
  let bob: Tokens;
  let owner: Tokens;
  beforeEach(async () => {
    server = await startProxiedServer(kind);
    owner = await onboardOwner(server);
    bob = (await aLoggedInUser(server, 'bob', { localOnly: true })).tokens;
  });
  afterEach(() => server.close());

  const api = (path: string, from: string, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}${path}`, { headers: { 'x-forwarded-for': from, ...headers } });
  const socketFrom = (from: string) => TestSocket.open(server.baseUrl, { headers: { 'x-forwarded-for': from } });

  async function handshake(from: string, accessToken: string) {
    const socket = await socketFrom(from);
    await socket.next();
    socket.send({ type: 'auth', access_token: accessToken });
    return { socket, reply: await socket.next() };
  }

  it('refuses Bearer requests from outside, accepts them from the LAN', async () => {
    expect((await api('/api/', OUTSIDE, { authorization: `Bearer ${bob.access_token}` })).status).toBe(401);
    expect((await api('/api/', LAN, { authorization: `Bearer ${bob.access_token}` })).status).toBe(200);
    expect((await api('/api/', OUTSIDE, { authorization: `Bearer ${owner.access_token}` })).status).toBe(200);
  });

  it('refuses the WebSocket handshake from outside, and signed paths fetched from outside', async () => {
    const outside = await handshake(OUTSIDE, bob.access_token);
    expect(outside.reply).toEqual({ type: 'auth_invalid', message: 'Invalid access token or password' });
    const inside = await handshake(LAN, bob.access_token);
    expect(inside.reply).toEqual(expect.objectContaining({ type: 'auth_ok' }));
    inside.socket.send({ id: 1, type: 'auth/sign_path', path: '/api/' });
    const { path } = (await inside.socket.next()).result as { path: string };
    expect((await api(path, OUTSIDE)).status).toBe(401);
    expect((await api(path, LAN)).status).toBe(200);
    inside.socket.close();
  });

  it('closes a socket opened from outside once its user becomes local-only', async () => {
    const carol = await aLoggedInUser(server, 'carol');
    const { socket, reply } = await handshake(OUTSIDE, carol.tokens.access_token);
    expect(reply).toEqual(expect.objectContaining({ type: 'auth_ok' }));
    const admin = await TestSocket.authenticated(server, owner.access_token);
    await admin.result({ type: 'config/auth/update', user_id: carol.user.id, local_only: true });
    socket.send({ id: 1, type: 'ping' });
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
    expect(socket.unread).toEqual([]);
    admin.close();
  });
});
