/**
 * The WebSocket while Redis is down (ARCHITECTURE.md, "Stores": fail fast): a command gets an
 * error, not a hang and not a closed socket (but `ping`, which is answered); a handshake is closed with 1013 (try again later), never
 * answered `auth_invalid`, which would make clients throw their tokens away. When Redis is back, the
 * same socket works again.
 */
import { describe, expect, it, vi } from 'vitest';
import { serverOnPrivateRedis } from '../support/private-redis.js';
import { TestSocket } from '../support/ws-client.js';
import { failure } from './ws-helpers.js';
import { onboardOwner } from '../support/http-client.js';

describe('the WebSocket while Redis is down', () => {
  const privateRedis = serverOnPrivateRedis();

  it('answers commands with an error, refuses handshakes with 1013, and recovers without a restart', async () => {
    const { server } = privateRedis;
    const { access_token: accessToken } = await onboardOwner(server);
    const socket = await TestSocket.authenticated(server, accessToken);
    await privateRedis.stopRedis();
    const started = performance.now();
    expect(await socket.command({ type: 'auth/current_user' })).toEqual(
      failure(1, 'home_assistant_error', 'Service unavailable: the store cannot be reached'),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    // Home Assistant's ping never touches storage: the apps' liveness check passes while Redis is down.
    expect(await socket.command({ type: 'ping' })).toEqual({ id: 2, type: 'pong' });
    const refused = await TestSocket.open(server.baseUrl);
    expect(await refused.next()).toEqual(expect.objectContaining({ type: 'auth_required' }));
    refused.send({ type: 'auth', access_token: accessToken });
    expect(await refused.closedWithin()).toEqual({ code: 1013, reason: 'Store unavailable' });
    expect(refused.unread).toEqual([]);

    // Back, but empty (no persistence): once resubscribed, the server re-checks its sockets and
    // closes the one whose session is gone; a new owner and socket work on the same process.
    await privateRedis.startRedis();
    expect(await socket.closedWithin()).toEqual({ code: 1000, reason: 'Session ended' });
    await vi.waitFor(async () => expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200), { timeout: 5_000, interval: 100 });
    const fresh = await TestSocket.authenticated(server, (await onboardOwner(server)).access_token);
    expect(await fresh.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    fresh.close();
  });
});
