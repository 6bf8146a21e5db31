/**
 * IP bans as ha-auth-spec §0 and §11 describe them, on both stores: the failure that reaches
 * `login_attempts_threshold` bans its address, and from then on every request from it (any route,
 * CORS preflight, unknown path, WebSocket upgrade) gets 403 `403: Forbidden`, while other addresses
 * are served; the ban stays until lifted; `ip_ban_enabled: false` and the default threshold never ban.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthConfig } from '../../src/auth-config.js';
import { ipBanAdmin } from '../../src/services/bans/login-attempts.js';
import { CLIENT_ID, REDIRECT_URI, type StoreKind, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { scrape, valueOf } from '../observability/scrape.js';
import { parseAuthConfig } from '../../src/auth-config.js';
import { aClientIp, expectForbidden, failuresOf, httpConfig, soon, startBanServer } from './ip-ban-helpers.js';
import { fetchFrom, onboardOwner, postForm, postJson } from '../support/http-client.js';

const ALICE = { username: 'alice', password: 'secret-password' };
const FLOW_START = { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI };

describe.each(['sqlite', 'redis'] as const)('IP bans (%s)', (kind: StoreKind) => {
  let server: TestServer;
  let tokens: { access_token: string; refresh_token: string };
  async function start(authConfig: AuthConfig) {
    server = await startBanServer(kind, authConfig);
    tokens = await onboardOwner(server, ALICE.username, ALICE.password);
  }
  afterEach(() => server.close());

  /** A wrong password in a fresh flow, from `ip`: one failed login. */
  async function wrongPassword(ip: string): Promise<number> {
    const started = await postJson(server, '/auth/login_flow', FLOW_START, ip);
    if (started.status !== 200) return started.status;
    const { flow_id: flowId } = (await started.json()) as { flow_id: string };
    const step = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, ...ALICE, password: 'wrong' }, ip);
    await step.arrayBuffer();
    return step.status;
  }

  /** Every kind of request a banned address might try. */
  const everything = (ip: string): Array<() => Promise<Response>> => [
    () => fetchFrom(server, '/health', {}, ip),
    () => fetchFrom(server, '/api/', { headers: { authorization: `Bearer ${tokens.access_token}` } }, ip),
    () => postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: tokens.refresh_token }, ip),
    () => postJson(server, '/auth/login_flow', FLOW_START, ip),
    () => fetchFrom(server, '/auth/providers', {}, ip),
    () => fetchFrom(server, `/auth/authorize?client_id=${encodeURIComponent(CLIENT_ID)}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`, {}, ip),
    () => fetchFrom(server, '/.well-known/oauth-authorization-server', {}, ip),
    () => fetchFrom(server, '/auth/token', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } }, ip),
    () => fetchFrom(server, '/no/such/path', {}, ip),
    () => fetchFrom(server, '/api/websocket', {}, ip),
  ];

  it('bans at the threshold: the failure that reaches it gets its own answer, then every request gets 403', async () => {
    await start(httpConfig(3));
    const ip = aClientIp();
    expect(await wrongPassword(ip)).toBe(200);
    expect((await fetchFrom(server, '/api/', {}, ip)).status).toBe(401);
    expect(await server.store.loginAttempts.isBanned(ip)).toBe(false);
    expect((await postForm(server, '/auth/token', { grant_type: 'password' }, ip)).status).toBe(400);
    expect(await server.store.loginAttempts.listBans()).toEqual([{ ip, bannedAt: server.clock.now }]);
    for (const send of everything(ip)) await expectForbidden(await send());
    await expect(TestSocket.open(server.baseUrl, { headers: { 'x-forwarded-for': ip } })).rejects.toThrow('Unexpected server response: 403');
    // The refusals are no failed logins.
    expect(await failuresOf(server, ip)).toBe(3);
  });

  it('serves other addresses, the proxy itself included, while one is banned', async () => {
    await start(httpConfig(1));
    const [banned, other] = [aClientIp(), aClientIp()];
    expect(await wrongPassword(banned)).toBe(200);
    await expectForbidden(await fetchFrom(server, '/health', {}, banned));
    for (const send of everything(other)) expect((await send()).status).not.toBe(403);
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    const socket = await TestSocket.authenticated(server, tokens.access_token, { headers: { 'x-forwarded-for': other } });
    socket.close();
  });

  it('never lifts a ban by itself; lifting it lets the address in with a fresh count', async () => {
    await start(httpConfig(2));
    const ip = aClientIp();
    await wrongPassword(ip);
    await wrongPassword(ip);
    server.clock.now += 7 * 24 * 3600_000;
    await expectForbidden(await fetchFrom(server, '/health', {}, ip));
    expect(await ipBanAdmin(server.store).lift(ip)).toBe(true);
    await soon(async () => expect((await fetchFrom(server, '/health', {}, ip)).status).toBe(200));
    expect(await failuresOf(server, ip)).toBe(0);
    expect(await wrongPassword(ip)).toBe(200);
    expect(await server.store.loginAttempts.isBanned(ip)).toBe(false);
  });

  it('a completed login between failures starts the count again', async () => {
    await start(httpConfig(3));
    const ip = aClientIp();
    await wrongPassword(ip);
    await wrongPassword(ip);
    const started = await postJson(server, '/auth/login_flow', FLOW_START, ip);
    const { flow_id: flowId } = (await started.json()) as { flow_id: string };
    const done = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, ...ALICE }, ip);
    expect(((await done.json()) as { type: string }).type).toBe('create_entry');
    await wrongPassword(ip);
    await wrongPassword(ip);
    expect(await failuresOf(server, ip)).toBe(2);
    expect((await fetchFrom(server, '/health', {}, ip)).status).toBe(200);
  });

  it('checks bans on its copy of the ban list: no store round trip per request once it is read', async () => {
    await start(httpConfig(3));
    const ip = aClientIp();
    const roundTrips = async () =>
      valueOf(await scrape(server), 'hass_auth_store_seconds_count', { operation: 'loginAttempts.isBanned' });
    await soon(async () => {
      const before = await roundTrips();
      for (let request = 0; request < 10; request += 1) expect((await fetchFrom(server, '/health', {}, ip)).status).toBe(200);
      expect(await roundTrips()).toBe(before);
    });
    expect(await server.store.loginAttempts.listBans()).toEqual([]);
  });

  it('keys an IPv4 client seen as ::ffff:a.b.c.d as the IPv4 address', async () => {
    await start(httpConfig(2));
    const ip = aClientIp();
    await wrongPassword(`::ffff:${ip}`);
    await wrongPassword(ip);
    expect(await server.store.loginAttempts.listBans()).toEqual([{ ip, bannedAt: server.clock.now }]);
    await expectForbidden(await fetchFrom(server, '/health', {}, `::ffff:${ip}`));
  });

  it('with ip_ban_enabled: false, counts nothing, bans nobody and lets a stored ban in', async () => {
    await start(httpConfig(1, false));
    const [ip, bannedBefore] = [aClientIp(), aClientIp()];
    await server.store.loginAttempts.recordFailure(bannedBefore, { threshold: 1, windowMs: 60_000, now: server.clock.now });
    expect(await wrongPassword(ip)).toBe(200);
    expect((await fetchFrom(server, '/api/', {}, ip)).status).toBe(401);
    expect(await failuresOf(server, ip)).toBe(0);
    expect((await fetchFrom(server, '/health', {}, ip)).status).toBe(200);
    expect((await fetchFrom(server, '/health', {}, bannedBefore)).status).toBe(200);
    expect((await server.store.loginAttempts.listBans()).map((ban) => ban.ip)).toEqual([bannedBefore]);
  });

  it("with Home Assistant's defaults (threshold -1), counts nothing and bans nobody, but refuses a stored ban", async () => {
    await start(parseAuthConfig('', 'defaults'));
    const [ip, bannedBefore] = [aClientIp(), aClientIp()];
    await server.store.loginAttempts.recordFailure(bannedBefore, { threshold: 1, windowMs: 60_000, now: server.clock.now });
    for (let attempt = 0; attempt < 5; attempt += 1) expect(await wrongPassword(ip)).toBe(200);
    expect(await failuresOf(server, ip)).toBe(0);
    expect((await fetchFrom(server, '/health', {}, ip)).status).toBe(200);
    await soon(async () => expectForbidden(await fetchFrom(server, '/health', {}, bannedBefore)));
  });
});
