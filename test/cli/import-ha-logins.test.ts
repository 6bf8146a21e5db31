/**
 * Moving from Home Assistant without anyone logging in again: the fixture's configuration directory
 * (ha-fixture.ts) is imported into a real server's store, on both stores and on a Redis Cluster, then the server is used the
 * way Home Assistant's clients use it: the login flow with Home Assistant's password hashes and the
 * TOTP secret of the authenticator app, the long-lived access token Home Assistant signed, the app's
 * refresh token and an access token Home Assistant minted from it shortly before the switch.
 */
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_INACTIVITY_MS } from '../../machines/refresh-token.js';
import { importFromHomeAssistant } from '../../src/services/import/import-ha.js';
import { restoreSnapshot } from '../../src/stores/envelope.js';
import { createEntry, initForm, ISSUED_TOKENS, jsonOf, openFlow, submitStep } from '../http/http-helpers.js';
import { totpAt } from '../support/mfa.js';
import type { TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { FIXTURE_DIR, fixtureToken, HA, homeAssistantLongLivedJwt, USER_IDS } from './ha-fixture.js';
import { exchangeCode, refreshGrant } from '../support/http-client.js';
import { clusterForFile, startServerOn } from '../support/file-cluster.js';

const apiRoot = (server: TestServer, accessToken: string) =>
  fetch(`${server.baseUrl}/api/`, { headers: { authorization: `Bearer ${accessToken}` } });

const cluster = clusterForFile();

// On a cluster, the imported tokens' ids and secrets name different buckets (src/stores/redis/keys.ts `rt-elsewhere`).
describe.each(['sqlite', 'redis', 'redis-cluster'] as const)('after importing Home Assistant (%s)', (kind) => {
  let server: TestServer;
  const sockets: TestSocket[] = [];

  beforeEach(async () => {
    server = await startServerOn(kind, cluster);
    const outcome = await importFromHomeAssistant(server.store, FIXTURE_DIR, { resolution: 'stop', now: server.clock.now });
    expect(outcome).toMatchObject({ kind: 'planned', written: 16 });
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await server.close();
  });

  async function socketFor(accessToken: string): Promise<TestSocket> {
    const socket = await TestSocket.authenticated(server, accessToken);
    sockets.push(socket);
    return socket;
  }

  /** Whose tokens these are, as `auth/current_user` says. */
  async function currentUser(accessToken: string) {
    return (await (await socketFor(accessToken)).result({ type: 'auth/current_user' })) as { id: string; name: string; is_owner: boolean };
  }

  async function passwordStep(username: string, password: string) {
    const flowId = await openFlow(server);
    return { flowId, answer: await jsonOf(await submitStep(server, flowId, { username, password })) };
  }

  it('logs Alice in with her Home Assistant password, then the code of her authenticator app', async () => {
    const wrong = await passwordStep(HA.alice.username, 'not her password');
    expect(wrong.answer).toEqual({ status: 200, body: initForm(wrong.flowId, { base: 'invalid_auth' }) });

    const { flowId, answer } = await passwordStep(HA.alice.username, HA.alice.password);
    expect(answer).toMatchObject({ status: 200, body: { type: 'form', step_id: 'mfa' } });
    const done = await jsonOf(await submitStep(server, flowId, { code: totpAt(HA.totpSecret, server.clock.now) }));
    expect(done).toEqual({ status: 200, body: createEntry(flowId) });

    const tokens = await jsonOf(await exchangeCode(server, (done.body as { result: string }).result));
    expect(tokens).toEqual({ status: 200, body: ISSUED_TOKENS });
    const user = await currentUser((tokens.body as { access_token: string }).access_token);
    expect(user).toMatchObject({ id: HA.alice.id, name: 'Alice', is_owner: true });
  });

  it('logs Bob in with his password alone (no TOTP), and gives carol, who never logged in, a user at her first login', async () => {
    const bob = await passwordStep(HA.bob.username, HA.bob.password);
    expect(bob.answer).toEqual({ status: 200, body: createEntry(bob.flowId) });
    const bobTokens = (await (await exchangeCode(server, (bob.answer.body as { result: string }).result)).json()) as { access_token: string };
    expect(await currentUser(bobTokens.access_token)).toMatchObject({ id: HA.bob.id, name: 'Bob', is_owner: false });

    const carol = await passwordStep(HA.carol.username, HA.carol.password);
    expect(carol.answer).toEqual({ status: 200, body: createEntry(carol.flowId) });
    const carolTokens = (await (await exchangeCode(server, (carol.answer.body as { result: string }).result)).json()) as { access_token: string };
    const carolUser = await currentUser(carolTokens.access_token);
    expect(carolUser).toMatchObject({ name: 'carol', is_owner: false });
    expect(USER_IDS).not.toContain(carolUser.id);
  });

  it('accepts the long-lived access token Home Assistant signed, on GET /api/ and on the WebSocket', async () => {
    const jwt = await homeAssistantLongLivedJwt();
    const response = await apiRoot(server, jwt);
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { message: 'API running.' } });
    expect(await currentUser(jwt)).toMatchObject({ id: HA.alice.id, is_owner: true });
  });

  it("keeps the app's refresh token working at /auth/token, from its last use and expiry in Home Assistant on", async () => {
    const record = await server.store.refreshTokens.load(HA.tokens.aliceApp);
    const restored = record === null ? null : restoreSnapshot('refreshToken', record);
    const lastUse = Date.UTC(2026, 10, 20, 8, 30, 0, 500);
    expect(restored?.ok && restored.snapshot.context).toMatchObject({
      lastUsedAt: lastUse,
      lastUsedIp: '192.168.1.20',
      expireAt: lastUse + REFRESH_TOKEN_INACTIVITY_MS,
      createdAt: Date.UTC(2026, 5, 20, 10, 0, 0, 123),
      clientId: HA.frontend,
      credentialId: HA.alice.credentialId,
      version: '2026.6.1',
    });

    const refreshed = await jsonOf(await refreshGrant(server, fixtureToken(HA.tokens.aliceApp).token, HA.frontend));
    expect(refreshed).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 1800 } });
    const accessToken = (refreshed.body as { access_token: string }).access_token;
    expect((await apiRoot(server, accessToken)).status).toBe(200);
    expect(await currentUser(accessToken)).toMatchObject({ id: HA.alice.id });

    const bobs = await jsonOf(await refreshGrant(server, fixtureToken(HA.tokens.bobPhone).token, HA.iosApp));
    expect(bobs).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
    // Another client cannot use it, as in Home Assistant.
    expect((await refreshGrant(server, fixtureToken(HA.tokens.bobPhone).token, HA.frontend)).status).toBe(400);
  });

  it('accepts an access token Home Assistant minted from the refresh token shortly before the switch', async () => {
    const { id, jwt_key: jwtKey } = fixtureToken(HA.tokens.aliceApp);
    const iat = Math.floor(server.clock.now / 1000) - 600;
    const minted = await new SignJWT({ iss: id, iat, exp: iat + 1800 }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(jwtKey));
    expect((await apiRoot(server, minted)).status).toBe(200);
    expect(await currentUser(minted)).toMatchObject({ id: HA.alice.id });
  });
});
