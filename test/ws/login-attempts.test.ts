/**
 * The WebSocket rows of ha-auth-spec §11 on both stores: `auth_invalid` "Invalid access token or
 * password" is a failed login of the client's address, the malformed-message variant is not, command
 * errors are not, and `auth_ok` forgets the address' count. Clients come through a trusted proxy
 * (X-Forwarded-For on the upgrade request).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { aClientIp, failuresOf, httpConfig, startBanServer } from '../http/ip-ban-helpers.js';
import { fetchFrom, onboardOwner } from '../support/http-client.js';

const INVALID = { type: 'auth_invalid', message: 'Invalid access token or password' };

describe.each(['sqlite', 'redis'] as const)('failed logins over the WebSocket (%s)', (kind) => {
  let server: TestServer;
  let accessToken: string;
  beforeAll(async () => {
    server = await startBanServer(kind, httpConfig(1000));
    ({ access_token: accessToken } = await onboardOwner(server));
  });
  afterAll(() => server.close());

  /** The answer to one auth message sent from `ip`, once the socket has closed (or answered auth_ok). */
  async function handshake(ip: string, auth: unknown): Promise<{ socket: TestSocket; reply: unknown }> {
    const socket = await TestSocket.open(server.baseUrl, { headers: { 'x-forwarded-for': ip } });
    await socket.next(); // auth_required
    socket.send(auth);
    return { socket, reply: await socket.next() };
  }

  it.for([
    { row: 'an invalid access token', auth: { type: 'auth', access_token: 'not-a-jwt' } },
    { row: 'a well-formed token of no session', auth: { type: 'auth', access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln' } },
    { row: 'the legacy api_password', auth: { type: 'auth', api_password: 'secret-password' } },
    { row: 'an auth message without credentials', auth: { type: 'auth' } },
  ])('counts auth_invalid for $row', async ({ auth }) => {
    const ip = aClientIp();
    const { socket, reply } = await handshake(ip, auth);
    expect(reply).toEqual(INVALID);
    await socket.closedWithin();
    expect(await failuresOf(server, ip)).toBe(1);
  });

  it.for([
    { row: 'a message of another type', auth: { type: 'login', access_token: 'x' } },
    { row: 'a message with an unknown key', auth: { type: 'auth', access_token: 'x', extra: 1 } },
  ])('does not count "Auth message incorrectly formatted" for $row', async ({ auth }) => {
    const ip = aClientIp();
    const { socket, reply } = await handshake(ip, auth);
    expect(reply).toMatchObject({ type: 'auth_invalid', message: expect.stringMatching(/^Auth message incorrectly formatted: /) as unknown });
    await socket.closedWithin();
    expect(await failuresOf(server, ip)).toBe(0);
  });

  it('does not count a frame that is not JSON (closed without a message)', async () => {
    const ip = aClientIp();
    const socket = await TestSocket.open(server.baseUrl, { headers: { 'x-forwarded-for': ip } });
    await socket.next();
    socket.send('{');
    await socket.closedWithin();
    expect(await failuresOf(server, ip)).toBe(0);
  });

  it('forgets the count on auth_ok, and does not count command errors such as invalid_current_password', async () => {
    const ip = aClientIp();
    await (await fetchFrom(server, '/api/', {}, ip)).arrayBuffer();
    await (await handshake(ip, { type: 'auth', access_token: 'not-a-jwt' })).socket.closedWithin();
    expect(await failuresOf(server, ip)).toBe(2);
    const { socket, reply } = await handshake(ip, { type: 'auth', access_token: accessToken });
    expect(reply).toMatchObject({ type: 'auth_ok' });
    expect(await failuresOf(server, ip)).toBe(0);
    const changed = await socket.command({ type: 'config/auth_provider/homeassistant/change_password', current_password: 'wrong', new_password: 'new' });
    expect(changed).toMatchObject({ success: false, error: { code: 'invalid_current_password' } });
    expect(await socket.command({ type: 'no/such/command' })).toMatchObject({ success: false, error: { code: 'unknown_command' } });
    expect(await failuresOf(server, ip)).toBe(0);
    socket.close();
  });
});
