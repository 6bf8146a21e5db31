/**
 * What one slow or hostile client can do to the server: not much. A client that stops reading is
 * cut off once its answers pile up (Home Assistant's back-pressure rule, with limits lowered here),
 * one that stops answering pings is dropped (aiohttp's heartbeat), and the others are served all along.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { issueRefreshToken } from '../support/fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { onboardOwner } from '../support/http-client.js';

describe('WebSocket limits', () => {
  let server: TestServer;
  let accessToken: string;
  beforeEach(async () => {
    server = await startTestServer('sqlite', undefined, {
      websocketLimits: { maxPending: 8, peakPending: 4, peakMs: 10_000, heartbeatMs: 55_000, maxFrameBytes: 1024 * 1024 },
    });
    ({ access_token: accessToken } = await onboardOwner(server));
  });
  afterEach(() => server.close());

  it('closes with 1008 the socket of a client that does not read its answers, and serves the others', async () => {
    // Small questions with large answers: the list of 100 refresh tokens is about 40 KB.
    const [owner] = await server.store.users.listUsers();
    for (let i = 0; i < 100; i++) await issueRefreshToken(server.store, owner?.id ?? '', server.clock.now);
    const reader = await TestSocket.authenticated(server, accessToken);
    const stalled = await TestSocket.authenticated(server, accessToken);
    stalled.socket.pause();
    for (let frame = 0; frame < 10; frame++) {
      stalled.send(Array.from({ length: 100 }, (_, i) => ({ id: frame * 100 + i + 1, type: 'auth/refresh_tokens' })));
    }
    // The answers fill the kernel's buffers, then pile up in the server until it gives up; the
    // other client is answered all along.
    for (let turn = 0; turn < 200 && stalled.closedAt === null; turn++) {
      expect(await reader.command({ type: 'ping' })).toEqual(expect.objectContaining({ type: 'pong' }));
      if (turn === 20) stalled.socket.resume();
    }
    expect(await stalled.closedWithin()).toEqual({ code: 1008, reason: 'Too many pending messages' });
    expect(stalled.unread.length).toBeLessThan(1000);
    reader.close();
  });

  it('pings every 55 s and drops a client that did not answer the last ping', async () => {
    const answering = await TestSocket.authenticated(server, accessToken);
    const silent = await TestSocket.authenticated(server, accessToken, { autoPong: false });
    server.timers.advance(55_000);
    // By the answer to a command sent after it, each client's pong (if any) has reached the server.
    expect(await answering.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    expect(await silent.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    server.timers.advance(55_000);
    expect(await answering.command({ type: 'ping' })).toEqual({ id: 2, type: 'pong' });
    expect(await silent.closedWithin()).toEqual(expect.objectContaining({ code: 1006 }));
    server.timers.advance(55_000);
    expect(await answering.command({ type: 'ping' })).toEqual({ id: 3, type: 'pong' });
    answering.close();
  });
});
