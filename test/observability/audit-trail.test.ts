/**
 * The audit trail of a whole session (issue 6: "never a secret"): onboarding, a login flow, the code
 * exchange, a refresh, a long-lived token and a signed path over the socket, a revocation. Every
 * transition is in the trail; no password, code, token, JWT key or signing secret the session
 * handled is in the trail or in the logs (at trace level), on either store.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { restoreSnapshot } from '../../src/stores/envelope.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { claimsOf } from '../ws/ws-helpers.js';
import { logIn, onboardOwner, postForm } from '../support/http-client.js';

const PASSWORD = 'secret-password';

describe.each(['sqlite', 'redis'] as const)('the audit trail (%s)', (kind) => {
  let server: TestServer;
  const logLines: string[] = [];
  beforeEach(async () => {
    logLines.length = 0;
    const logger = pino({ level: 'trace' }, { write: (line: string) => logLines.push(line) });
    server = await startTestServer(kind, undefined, { logger });
  });
  afterEach(() => server.close());

  it('records every transition of a session and keeps no secret, nor do the logs', async () => {
    const secrets: string[] = [PASSWORD];
    const owner = await onboardOwner(server, 'alice', PASSWORD);
    secrets.push(owner.access_token, owner.refresh_token);
    const flow = await logIn(server, 'alice', PASSWORD);
    const code = flow.result ?? '';
    secrets.push(code);
    const exchanged = (await (await postForm(server, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code })).json()) as {
      access_token: string;
      refresh_token: string;
    };
    secrets.push(exchanged.access_token, exchanged.refresh_token);
    server.clock.now += 1000; // a use at the same instant changes nothing, and writes nothing
    const refreshed = (await (
      await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: exchanged.refresh_token })
    ).json()) as { access_token: string };
    secrets.push(refreshed.access_token);
    const socket = await TestSocket.authenticated(server, refreshed.access_token);
    const llat = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 1 })) as string;
    const { path } = (await socket.result({ type: 'auth/sign_path', path: '/api/' })) as { path: string };
    secrets.push(llat, path.split('authSig=')[1] ?? '');
    socket.close();
    await postForm(server, '/auth/revoke', { token: exchanged.refresh_token });
    const sessionId = claimsOf(exchanged.access_token).iss as string;

    // The keys behind the tokens, read from the store.
    for (const id of [sessionId, claimsOf(owner.access_token).iss as string, claimsOf(llat).iss as string]) {
      const envelope = await server.store.refreshTokens.load(id);
      const restored = envelope === null ? null : restoreSnapshot('refreshToken', envelope);
      if (restored?.ok !== true) throw new Error(`no token ${id}`);
      secrets.push(restored.snapshot.context.jwtKey);
    }
    secrets.push(await server.store.secrets.getOrCreate('http.auth.sign_secret', 'not-this'));

    const trail = await server.store.audit.tail(1000);
    const history = (await server.store.audit.forRecord(sessionId)).map(({ event, from, to }) => `${event} ${from ?? ''}→${to}`);
    expect(history).toEqual(['create →issued', 'USE issued→issued', 'REVOKE issued→revoked']);
    expect(new Set(trail.map((entry) => entry.machine))).toEqual(new Set(['loginFlow', 'loginGrant', 'refreshToken']));
    expect(trail.filter((entry) => entry.machine === 'loginGrant').map((entry) => entry.event)).toEqual(['create', 'REDEEM', 'create', 'REDEEM']);

    const written = JSON.stringify(trail) + logLines.join('');
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(written.includes(secret), `a secret of ${secret.length} chars was written`).toBe(false);
    }
  });
});
