/**
 * Sockets close when their session ends (ha-auth-spec §10.4): the refresh token revoked, expired,
 * or found ended after the revocation bus was cut off; and on shutdown, with 1001 and the work the
 * server had left for later done.
 */
import { createClient } from 'redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actorHandle } from '../../src/runtime/actor-handle.js';
import { serverOnPrivateRedis } from '../support/private-redis.js';
import { silentLogger } from '../support/logger.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { claimsOf, type Tokens } from './ws-helpers.js';
import { onboardOwner, postForm } from '../support/http-client.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(['sqlite', 'redis'] as const)('sockets of an ended session (%s)', (kind) => {
  let server: TestServer;
  let owner: Tokens;
  beforeEach(async () => {
    server = await startTestServer(kind);
    owner = await onboardOwner(server);
  });
  afterEach(() => server.close());

  it('closes every socket of a refresh token revoked over HTTP, within 1 s, and no other', async () => {
    const [first, second] = [await TestSocket.authenticated(server, owner.access_token), await TestSocket.authenticated(server, owner.access_token)];
    const llat = (await first.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 1 })) as string;
    const bystander = await TestSocket.authenticated(server, llat);
    const sent = performance.now();
    await postForm(server, '/auth/revoke', { token: owner.refresh_token });
    for (const socket of [first, second]) {
      expect(await socket.closedWithin(1000)).toEqual(expect.objectContaining({ code: 1000 }));
      expect((socket.closedAt ?? Infinity) - sent).toBeLessThan(1000);
    }
    expect(await bystander.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    bystander.close();
  });

  it('closes the sockets of a refresh token when it expires, not before', async () => {
    const socket = await TestSocket.authenticated(server, owner.access_token);
    server.timers.advance(90 * DAY_MS - 1);
    expect(await socket.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    server.timers.advance(1);
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
    const refreshed = await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: owner.refresh_token });
    expect(refreshed.status).toBe(400);
  });

  it('keeps the socket of a token that was used meanwhile, until its new expiry', async () => {
    const socket = await TestSocket.authenticated(server, owner.access_token);
    server.timers.advance(60 * DAY_MS);
    const refreshed = await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: owner.refresh_token });
    expect(refreshed.status).toBe(200);
    server.timers.advance(30 * DAY_MS);
    // The check at the old expiry reads the store before this command does: by its answer, it is done.
    expect(await socket.result({ type: 'auth/refresh_tokens' })).toHaveLength(1);
    expect(await socket.command({ type: 'ping' })).toEqual({ id: 2, type: 'pong' });
    server.timers.advance(60 * DAY_MS);
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
  });

  it('on shutdown, removes a token due to be removed and closes the other sockets with 1001', async () => {
    const socket = await TestSocket.authenticated(server, owner.access_token);
    const llat = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 1 })) as string;
    const other = await TestSocket.authenticated(server, llat);
    expect(await socket.command({ type: 'auth/delete_all_refresh_tokens', token_type: 'normal' })).toEqual(expect.objectContaining({ success: true }));
    const id = claimsOf(owner.access_token).iss as string;
    await server.app.close();
    expect(await other.closedWithin()).toEqual(expect.objectContaining({ code: 1001 }));
    await socket.closedWithin(); // ended with its session or by the shutdown, whichever came first
    const record = await server.store.refreshTokens.load(id);
    expect(record?.snapshot).toEqual(expect.objectContaining({ value: 'revoked' }));
  });
});

describe('sockets after the revocation bus was cut off from Redis', () => {
  const privateRedis = serverOnPrivateRedis();

  it('re-checks every session when the subscription is back, and closes the ended ones', async () => {
    const { server, url } = privateRedis;
    const owner = await onboardOwner(server);
    const socket = await TestSocket.authenticated(server, owner.access_token);
    const llat = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 1 })) as string;
    const kept = await TestSocket.authenticated(server, llat);
    // An end whose announcement was lost: written to the store, never published.
    const id = claimsOf(owner.access_token).iss as string;
    await actorHandle('refreshToken', server.store.refreshTokens, { logger: silentLogger() }).transition(id, { type: 'REVOKE', now: server.clock.now, reason: 'revoked' });
    const admin = createClient({ url });
    await admin.connect();
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await admin.quit();
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
    expect(await kept.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    kept.close();
  });
});
