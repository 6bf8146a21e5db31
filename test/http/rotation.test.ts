/**
 * Refresh-token rotation against the real server, on both stores and on a Redis Cluster: off for Home Assistant's own
 * clients (the default), on for a client whose policy says so, with the grace window, reuse
 * detection that revokes the family (and closes its sockets), and the family's lifetime.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../../src/auth-config.js';
import { CLIENT_ID, type TestServer } from '../support/test-server.js';
import { clusterForFile, startServerOn } from '../support/file-cluster.js';
import { TestSocket } from '../support/ws-client.js';
import { apiStatus, HEX_128, issuerOf, newCode } from './token-client.js';
import { type IssuedTokens, exchangeCode, onboardOwner, refreshGrant } from '../support/http-client.js';

const ROTATING = 'https://app.example/';
const GRACE_S = 60;
const LIFETIME_S = 7 * 24 * 60 * 60;
const authConfig = parseAuthConfig(
  `clients: {"${ROTATING}": {refresh_token_rotation: true, grace_period: ${GRACE_S}, family_lifetime: ${LIFETIME_S}}}`,
  'test',
);

interface Refreshed {
  status: number;
  body: { access_token?: string; refresh_token?: string; expires_in?: number; error?: string };
}

/** On a cluster a successor must land in its predecessor's bucket (Store.placement: a secret derived again until its hash does). */
const cluster = clusterForFile();

describe.each(['sqlite', 'redis', 'redis-cluster'] as const)('refresh-token rotation (%s)', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServerOn(kind, cluster, { authConfig });
    await onboardOwner(server);
  });
  afterEach(() => server.close());

  async function login(clientId = ROTATING): Promise<IssuedTokens> {
    return (await (await exchangeCode(server, await newCode(server, clientId), clientId)).json()) as IssuedTokens;
  }
  async function refresh(refreshToken: string, clientId = ROTATING): Promise<Refreshed> {
    const response = await refreshGrant(server, refreshToken, clientId);
    return { status: response.status, body: (await response.json()) as Refreshed['body'] };
  }
  const INVALID_GRANT = { status: 400, body: { error: 'invalid_grant' } };

  it('never rotates for a client without a policy: the same refresh token works again and again', async () => {
    const { refresh_token: refreshToken } = await login(CLIENT_ID);
    for (let i = 0; i < 3; i++) {
      const answer = await refreshGrant(server, refreshToken);
      expect(answer.status).toBe(200);
      expect(Object.keys((await answer.json()) as object)).toEqual(['access_token', 'token_type', 'expires_in']);
    }
  });

  it('answers each refresh of a rotating client with a new refresh token, and the chain goes on', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(Object.keys(second.body)).toEqual(['access_token', 'token_type', 'refresh_token', 'expires_in']);
    expect(second.body.refresh_token).toMatch(HEX_128);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    const third = await refresh(second.body.refresh_token ?? '');
    expect(third.status).toBe(200);
    expect(await apiStatus(server, third.body.access_token ?? '')).toBe(200);
    // What the redeemed tokens minted stays good until it expires: their successors carry the session on.
    expect(await apiStatus(server, first.access_token)).toBe(200);
    const socket = await TestSocket.authenticated(server, third.body.access_token ?? '');
    const listed = (await socket.result({ type: 'auth/refresh_tokens' })) as Array<Record<string, unknown>>;
    expect(listed.find((token) => token.is_current === true)).toEqual(
      expect.objectContaining({
        id: issuerOf(third.body.access_token ?? ''),
        rotation: { family_id: issuerOf(first.access_token), generation: 3, predecessor_id: issuerOf(second.body.access_token ?? '') },
      }),
    );
    socket.close();
  });

  it('answers a retry within the grace window with the same successor, whose tokens both work', async () => {
    const first = await login();
    const lost = await refresh(first.refresh_token); // the response that never reached the client
    server.clock.now += (GRACE_S - 1) * 1000;
    const retried = await refresh(first.refresh_token);
    expect(retried.status).toBe(200);
    expect(retried.body.refresh_token).toBe(lost.body.refresh_token);
    expect(issuerOf(retried.body.access_token ?? '')).toBe(issuerOf(lost.body.access_token ?? ''));
    expect(await apiStatus(server, lost.body.access_token ?? '')).toBe(200);
    expect(await apiStatus(server, retried.body.access_token ?? '')).toBe(200);
    const socket = await TestSocket.authenticated(server, retried.body.access_token ?? '');
    const listed = (await socket.result({ type: 'auth/refresh_tokens' })) as Array<{ client_id: string }>;
    expect(listed.filter((token) => token.client_id === ROTATING)).toHaveLength(1);
    socket.close();
    expect((await refresh(retried.body.refresh_token ?? '')).status).toBe(200);
  });

  it('gives racing refreshes of one token one successor: every answer the same, working tokens', async () => {
    const first = await login();
    const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(first.refresh_token)));
    expect(answers.map(({ status }) => status)).toEqual(Array.from({ length: 10 }, () => 200));
    expect(new Set(answers.map(({ body }) => body.refresh_token)).size).toBe(1);
    for (const { body } of answers) expect(await apiStatus(server, body.access_token ?? '')).toBe(200);
  });

  it('takes a redeemed token after the grace window as reuse: the whole family ends and its sockets close', async () => {
    const first = await login();
    const next = await refresh(first.refresh_token);
    const socket = await TestSocket.authenticated(server, next.body.access_token ?? '');
    server.clock.now += GRACE_S * 1000;
    expect(await refresh(first.refresh_token)).toEqual(INVALID_GRANT);
    expect(await socket.closedWithin(1000)).toEqual(expect.objectContaining({ code: 1000 }));
    expect(await refresh(next.body.refresh_token ?? '')).toEqual(INVALID_GRANT);
    expect(await apiStatus(server, next.body.access_token ?? '')).toBe(401);
    // Another login of the same user is another family: untouched.
    const other = await login();
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  it('ends a family at its lifetime, however recently it was used', async () => {
    const first = await login();
    let current = first.refresh_token;
    for (let day = 1; day < 7; day++) {
      server.clock.now += 24 * 60 * 60 * 1000;
      const next = await refresh(current);
      expect(next.status).toBe(200);
      current = next.body.refresh_token ?? '';
    }
    server.clock.now += 24 * 60 * 60 * 1000;
    expect(await refresh(current)).toEqual(INVALID_GRANT);
  });

  it('revokes a rotated token like any other', async () => {
    const next = await refresh((await login()).refresh_token);
    const revoked = await fetch(`${server.baseUrl}/auth/revoke`, { method: 'POST', body: new URLSearchParams({ token: next.body.refresh_token ?? '' }) });
    expect(revoked.status).toBe(200);
    expect(await refresh(next.body.refresh_token ?? '')).toEqual(INVALID_GRANT);
  });

  it('advertises nothing about rotation in the OAuth metadata: the document is the one without policies', async () => {
    const plain = await startServerOn(kind, cluster);
    try {
      const read = async (base: string) => (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).text()).replaceAll(base, '<base>');
      expect(await read(server.baseUrl)).toBe(await read(plain.baseUrl));
    } finally {
      await plain.close();
    }
  });
});
