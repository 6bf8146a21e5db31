/**
 * The real client library, `home-assistant-js-websocket` 9.7.0, against `/api/websocket` on both
 * stores, in Node with `ws` as its WebSocket (Node 20 has no global one). What it does on its own —
 * refreshing an expired access token through `/auth/token` with `FormData`, sending `auth`, sending
 * `supported_features`, reconnecting after a close — is what the frontend and scripts do.
 *
 * The server's clock is fake (`server.clock.now`) but the library reads `Date.now()`, so its
 * `Auth.expires` is set against the real clock. Every wait is bounded.
 */
import {
  Auth,
  createConnection,
  createLongLivedTokenAuth,
  ERR_INVALID_AUTH,
  getUser,
  type Connection,
} from 'home-assistant-js-websocket';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import WebSocket from 'ws';
import { HA_VERSION } from '../../src/domain/version.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { claimsOf, type Tokens } from './ws-helpers.js';
import { onboardOwner, postForm } from '../support/http-client.js';

const WAIT_MS = 5000;
const ACCESS_TOKEN_LIFETIME_MS = 30 * 60 * 1000;
const INVALID_AUTH = { type: 'auth_invalid', message: 'Invalid access token or password' };

type Message = Record<string, unknown>;

/** `ws` as the library's WebSocket, keeping every socket it opens with what it received and how it closed. */
class RecordingWebSocket extends WebSocket {
  static readonly opened: RecordingWebSocket[] = [];
  readonly received: Message[] = [];
  closeCode: number | null = null;

  constructor(address: string) {
    super(address);
    RecordingWebSocket.opened.push(this);
    this.on('message', (data: Buffer) => this.received.push(JSON.parse(data.toString()) as Message));
    this.on('close', (code) => (this.closeCode = code));
  }
}

type Global = { WebSocket?: unknown };
const hadWebSocket = 'WebSocket' in globalThis;
const previousWebSocket = (globalThis as Global).WebSocket;
beforeAll(() => {
  (globalThis as Global).WebSocket = RecordingWebSocket;
});
afterAll(() => {
  if (hadWebSocket) (globalThis as Global).WebSocket = previousWebSocket;
  else delete (globalThis as Global).WebSocket;
});

/** Settles with `promise`, or fails saying what did not happen within `ms`. */
async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The next `eventType` the connection fires, with its data. */
function nextEvent(conn: Connection, eventType: 'ready' | 'disconnected' | 'reconnect-error'): Promise<unknown> {
  return new Promise((resolve) => {
    const listener = (_conn: Connection, data?: unknown) => {
      conn.removeEventListener(eventType, listener);
      resolve(data);
    };
    conn.addEventListener(eventType, listener);
  });
}

/** Resolves once the socket has closed (at once when it already has). */
function closeOf(socket: RecordingWebSocket): Promise<number> {
  if (socket.closeCode !== null) return Promise.resolve(socket.closeCode);
  return new Promise((resolve) => socket.once('close', (code: number) => resolve(code)));
}

describe.each(['redis', 'sqlite'] as const)('home-assistant-js-websocket against the server (%s)', (kind) => {
  let server: TestServer;
  let owner: Tokens & { expires_in: number };
  let fetchSpy: MockInstance<typeof fetch>;
  const connections: Connection[] = [];

  beforeEach(async () => {
    server = await startTestServer(kind);
    owner = await onboardOwner(server);
    RecordingWebSocket.opened.length = 0;
    fetchSpy = vi.spyOn(globalThis, 'fetch');
  });
  afterEach(async () => {
    // close() stops the library's reconnect loop too.
    for (const conn of connections.splice(0)) conn.close();
    fetchSpy.mockRestore();
    await Promise.all(RecordingWebSocket.opened.map((socket) => within(closeOf(socket), 'a library socket closing')));
    await server.close();
  });

  async function connect(auth: Auth): Promise<Connection> {
    const conn = await within(createConnection({ auth }), 'createConnection');
    connections.push(conn);
    return conn;
  }

  /** The library's own `/auth/token` requests since the spy was set, with the fields it posted and the status it got. */
  async function tokenRequests(): Promise<Array<{ fields: Record<string, string>; status: number }>> {
    const requests = [];
    for (const [i, [input, init]] of fetchSpy.mock.calls.entries()) {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url !== `${server.baseUrl}/auth/token` || !(init?.body instanceof FormData)) continue;
      const fields = Object.fromEntries([...init.body].map(([name, value]) => [name, typeof value === 'string' ? value : `<file ${value.name}>`]));
      const response = (await fetchSpy.mock.results[i]?.value) as Response;
      requests.push({ fields, status: response.status });
    }
    return requests;
  }

  const ownerAuth = (data: Partial<ConstructorParameters<typeof Auth>[0]> = {}) =>
    new Auth({
      hassUrl: server.baseUrl,
      clientId: CLIENT_ID,
      access_token: owner.access_token,
      refresh_token: owner.refresh_token,
      expires: Date.now() + owner.expires_in * 1000,
      expires_in: owner.expires_in,
      ...data,
    });

  it('connects with a long-lived token made through the library, and reads the current user', async () => {
    const first = await connect(ownerAuth());
    expect(first.haVersion).toBe(HA_VERSION);
    const llat = await within(
      first.sendMessagePromise<string>({ type: 'auth/long_lived_access_token', client_name: 'real client', lifespan: 30 }),
      'auth/long_lived_access_token',
    );
    expect(claimsOf(llat).iss).not.toBe(claimsOf(owner.access_token).iss);
    first.close();

    const conn = await connect(createLongLivedTokenAuth(server.baseUrl, llat));
    expect(conn.connected).toBe(true);
    const user = await within(conn.sendMessagePromise<Record<string, unknown>>({ type: 'auth/current_user' }), 'auth/current_user');
    expect(user.id).toMatch(/^[0-9a-f]{32}$/);
    expect(user).toEqual({
      id: user.id,
      name: 'Alice',
      is_owner: true,
      is_admin: true,
      credentials: [{ auth_provider_type: 'homeassistant', auth_provider_id: null }],
      mfa_modules: [{ id: 'totp', name: 'Authenticator app', enabled: false }],
    });
    expect(await within(getUser(conn), 'getUser')).toEqual(user);
    await within(conn.ping(), 'ping');

    // What went over the wire: the handshake, then supported_features (id 1, sent by the library), answered.
    const socket = RecordingWebSocket.opened.at(-1) as RecordingWebSocket;
    expect(socket.received.slice(0, 3)).toEqual([
      { type: 'auth_required', ha_version: HA_VERSION },
      { type: 'auth_ok', ha_version: HA_VERSION },
      { id: 1, type: 'result', success: true, result: null },
    ]);

    const disconnected = vi.fn();
    conn.addEventListener('disconnected', disconnected);
    conn.close();
    expect(conn.connected).toBe(false);
    expect(await within(closeOf(socket), 'the socket closing')).toBe(1005); // the library's close() sends no code
    expect(disconnected).not.toHaveBeenCalled(); // a close it asked for is no disconnect
    expect(await tokenRequests()).toEqual([]); // neither token was expired: no refresh
  });

  it('refreshes an expired token through /auth/token before connecting, and gives up once its refresh token is revoked', async () => {
    server.clock.now += ACCESS_TOKEN_LIFETIME_MS + 60_000; // the onboarding access token is expired for the server too
    const auth = ownerAuth({ expires: Date.now() - 1000 });
    expect(auth.expired).toBe(true);

    const conn = await connect(auth);
    expect(auth.accessToken).not.toBe(owner.access_token);
    expect(claimsOf(auth.accessToken)).toMatchObject({ iss: claimsOf(owner.access_token).iss, iat: Math.floor(server.clock.now / 1000) });
    expect(auth.expired).toBe(false);
    expect(auth.data).toMatchObject({ refresh_token: owner.refresh_token, expires_in: 1800, token_type: 'Bearer' });
    expect(await tokenRequests()).toEqual([
      { fields: { client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: owner.refresh_token }, status: 200 },
    ]);
    expect(await within(getUser(conn), 'getUser')).toMatchObject({ name: 'Alice', is_owner: true });
    const [first] = RecordingWebSocket.opened as [RecordingWebSocket];
    expect(first.received.slice(0, 2)).toEqual([
      { type: 'auth_required', ha_version: HA_VERSION },
      { type: 'auth_ok', ha_version: HA_VERSION },
    ]);

    // Revoked over HTTP: the server closes the socket, the library sees a disconnect and reconnects at
    // once; its access token (unexpired by its own reckoning) is refused, so it stops with ERR_INVALID_AUTH.
    const disconnected = nextEvent(conn, 'disconnected');
    const reconnectError = nextEvent(conn, 'reconnect-error');
    const ready = vi.fn();
    conn.addEventListener('ready', ready);
    const revoked = await postForm(server, '/auth/revoke', { token: owner.refresh_token });
    expect([revoked.status, await revoked.text()]).toEqual([200, '']);
    await within(disconnected, 'disconnected');
    expect(await within(closeOf(first), 'the revoked socket closing')).toBe(1000);
    expect(conn.connected).toBe(false);
    expect(await within(reconnectError, 'reconnect-error')).toBe(ERR_INVALID_AUTH);
    expect(ready).not.toHaveBeenCalled();
    expect(RecordingWebSocket.opened).toHaveLength(2);
    const retry = RecordingWebSocket.opened[1] as RecordingWebSocket;
    expect(await within(closeOf(retry), 'the refused socket closing')).toBe(1000);
    expect(retry.received).toEqual([{ type: 'auth_required', ha_version: HA_VERSION }, INVALID_AUTH]);

    // The library's own refresh now fails as invalid auth too: /auth/token answers 400.
    await expect(within(auth.refreshAccessToken(), 'refreshAccessToken')).rejects.toBe(ERR_INVALID_AUTH);
    expect((await tokenRequests()).at(-1)).toEqual({
      fields: { client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: owner.refresh_token },
      status: 400,
    });
  });

  it('reconnects with a refresh when its token has expired, and stops when that refresh is refused', async () => {
    const auth = ownerAuth();
    const conn = await connect(auth);
    expect(await tokenRequests()).toEqual([]);
    const [first] = RecordingWebSocket.opened as [RecordingWebSocket];

    // The library now thinks its access token expired, so on reconnecting it refreshes first, and the
    // revoked refresh token makes /auth/token answer 400. It starts that refresh as soon as it
    // reconnects and, if the socket opens first, awaits it with the error swallowed and sends its old
    // access token (the server answers auth_invalid); if the refresh failed before the socket opened,
    // it refreshes once more and closes without sending `auth`. Either way: ERR_INVALID_AUTH.
    auth.data.expires = Date.now() - 1000;
    const disconnected = nextEvent(conn, 'disconnected');
    const reconnectError = nextEvent(conn, 'reconnect-error');
    const revoked = await postForm(server, '/auth/revoke', { token: owner.refresh_token });
    expect(revoked.status).toBe(200);
    await within(disconnected, 'disconnected');
    expect(await within(closeOf(first), 'the revoked socket closing')).toBe(1000);
    expect(await within(reconnectError, 'reconnect-error')).toBe(ERR_INVALID_AUTH);
    const refreshes = await tokenRequests();
    expect(refreshes.length).toBeGreaterThanOrEqual(1);
    expect(refreshes.length).toBeLessThanOrEqual(2);
    for (const request of refreshes) {
      expect(request).toEqual({ fields: { client_id: CLIENT_ID, grant_type: 'refresh_token', refresh_token: owner.refresh_token }, status: 400 });
    }
    expect(auth.accessToken).toBe(owner.access_token); // nothing replaced it
    expect(RecordingWebSocket.opened).toHaveLength(2);
    const retry = RecordingWebSocket.opened[1] as RecordingWebSocket;
    await within(closeOf(retry), 'the retry socket closing');
    expect([[], [INVALID_AUTH]]).toContainEqual(retry.received.filter((message) => message.type !== 'auth_required'));
  });

  it('rejects sendMessagePromise with the server\'s {code, message}, and keeps the connection', async () => {
    const conn = await connect(ownerAuth());
    await expect(
      within(conn.sendMessagePromise({ type: 'auth/delete_refresh_token', refresh_token_id: 'no-such-token' }), 'auth/delete_refresh_token'),
    ).rejects.toEqual({ code: 'invalid_token_id', message: 'Received invalid token' });
    await expect(within(conn.sendMessagePromise({ type: 'auth/current_user', extra: 1 }), 'auth/current_user')).rejects.toEqual({
      code: 'invalid_format',
      // A command whose schema is only `type` refuses any other key as a whole (Home Assistant's words).
      message: "extra keys not allowed. Got {'type': 'auth/current_user', 'extra': 1, 'id': 4}",
    });
    await expect(within(conn.sendMessagePromise({ type: 'no/such_command' }), 'an unknown command')).rejects.toEqual({
      code: 'unknown_command',
      message: 'Unknown command.',
    });
    expect(conn.connected).toBe(true);
    expect(await within(getUser(conn), 'getUser')).toMatchObject({ name: 'Alice' });
  });
});
