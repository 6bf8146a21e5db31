/**
 * The auth phase of `/api/websocket` (ha-auth-spec §10.1) on both stores: `auth_required`, then one
 * message that ends in `auth_ok`, or in `auth_invalid` and a close, or in a close without a message.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/domain/access-token.js';
import { HA_VERSION } from '../../src/domain/version.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { onboardOwner } from '../support/http-client.js';

const INVALID = { type: 'auth_invalid', message: 'Invalid access token or password' };

describe.each(['sqlite', 'redis'] as const)('WebSocket handshake (%s)', (kind) => {
  let server: TestServer;
  let accessToken: string;
  let refreshToken: string;
  beforeEach(async () => {
    server = await startTestServer(kind);
    ({ access_token: accessToken, refresh_token: refreshToken } = await onboardOwner(server));
  });
  afterEach(() => server.close());

  async function afterAuthRequired(): Promise<TestSocket> {
    const socket = await TestSocket.open(server.baseUrl);
    expect(await socket.next()).toEqual({ type: 'auth_required', ha_version: HA_VERSION });
    return socket;
  }

  async function answerTo(auth: unknown): Promise<{ reply: unknown; closed: { code: number } }> {
    const socket = await afterAuthRequired();
    socket.send(auth);
    const reply = await socket.next();
    return { reply, closed: await socket.closedWithin() };
  }

  it('answers a valid access token with auth_ok and keeps the socket open for commands', async () => {
    const socket = await afterAuthRequired();
    socket.send({ type: 'auth', access_token: accessToken });
    expect(await socket.next()).toEqual({ type: 'auth_ok', ha_version: HA_VERSION });
    expect(await socket.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    socket.close();
  });

  it('refuses a bad, an expired and a revoked access token, then closes normally', async () => {
    expect(await answerTo({ type: 'auth', access_token: 'not-a-jwt' })).toEqual({ reply: INVALID, closed: expect.objectContaining({ code: 1000 }) as unknown });
    server.clock.now += 30 * 60 * 1000 + 11_000; // past the 30 min lifetime and the 10 s leeway
    expect((await answerTo({ type: 'auth', access_token: accessToken })).reply).toEqual(INVALID);
    await fetch(`${server.baseUrl}/auth/revoke`, { method: 'POST', body: new URLSearchParams({ token: refreshToken }) });
    expect((await answerTo({ type: 'auth', access_token: accessToken })).reply).toEqual(INVALID);
  });

  it('refuses a token signed with another key for the same refresh token', async () => {
    const [, payload] = accessToken.split('.');
    const { iss } = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as { iss: string };
    const forged = await signAccessToken(iss, 'a-key-that-is-not-the-jwt-key', server.clock.now, 1800);
    expect((await answerTo({ type: 'auth', access_token: forged })).reply).toEqual(INVALID);
  });

  it('never honours the legacy api_password, and refuses an empty message', async () => {
    expect((await answerTo({ type: 'auth', api_password: 'secret-password' })).reply).toEqual(INVALID);
    expect((await answerTo({ type: 'auth' })).reply).toEqual(INVALID);
  });

  it.each([
    [{ type: 'auth', access_token: 'x', id: 1 }, "extra keys not allowed @ data['id']. Got 1"],
    [{ access_token: 'x' }, "required key not provided @ data['type']. Got None"],
    [{ type: 'login', access_token: 'x' }, "not a valid value for dictionary value @ data['type']. Got 'login'"],
    [{ type: 'auth', access_token: 5 }, "expected str for dictionary value @ data['access_token']. Got 5"],
    [{ type: 'auth', access_token: 'x', api_password: 'y' }, "two or more values in the same group of exclusion 'auth' @ data[<auth>]. Got None"],
    [['auth'], "expected a dictionary. Got ['auth']"],
    [
      { type: 'auth', access_token: null, extra: true },
      "expected str for dictionary value @ data['access_token']. Got None\nextra keys not allowed @ data['extra']. Got True",
    ],
  ])('refuses the malformed auth message %j with voluptuous\' words', async (auth, detail) => {
    expect(await answerTo(auth)).toEqual({
      reply: { type: 'auth_invalid', message: `Auth message incorrectly formatted: ${detail}` },
      closed: expect.objectContaining({ code: 1000 }) as unknown,
    });
  });

  it('closes without a message on invalid JSON, a binary frame, or silence for 10 s', async () => {
    for (const frame of ['{not json', Buffer.from([1, 2, 3])]) {
      const socket = await afterAuthRequired();
      socket.send(frame);
      await socket.closedWithin();
      expect(socket.unread).toEqual([]);
    }
    const silent = await afterAuthRequired();
    server.timers.advance(9_999);
    await expect(silent.closedWithin(100)).rejects.toThrow('still open');
    server.timers.advance(1);
    expect(await silent.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
    expect(silent.unread).toEqual([]);
  });

  it('does not time out a socket that authenticated', async () => {
    const socket = await TestSocket.authenticated(server, accessToken);
    server.timers.advance(60_000);
    expect(await socket.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    socket.close();
  });

  it('answers a plain GET without the upgrade with 400', async () => {
    const response = await fetch(`${server.baseUrl}/api/websocket`);
    expect(response.status).toBe(400);
  });
});
