/**
 * A refresh token ended on one instance closes the sockets authenticated with it on another
 * (ha-auth-spec §10.4 across replicas): two real service processes on one Redis, the end carried by
 * the revocation bus (Redis pub/sub). Real time throughout; each test measures from sending the
 * revoke to the close of the socket on the other instance, and wants it within a second.
 *
 * bcrypt runs at its real cost, so tokens beyond the onboarding ones are long-lived tokens (no
 * password check) except the one `/auth/revoke` needs, which takes one login flow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { CLIENT_ID } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { claimsOf } from '../ws/ws-helpers.js';
import { getWithBearer, startCluster, type Cluster, type Instance } from './instances.js';
import { logInForTokens, postForm, postJson } from '../support/http-client.js';

const OWNER = { name: 'Alice', username: 'alice', password: 'correct horse battery staple', language: 'en' };
/** What a revocation on one instance may take to close a socket on the other. */
const CLOSE_WITHIN_MS = 1000;
/** Bounds of the waits: a close that misses CLOSE_WITHIN_MS still fails the test, not the run. */
const WAIT_MS = 5000;
/** `auth/delete_all_refresh_tokens` deletes the current token 2 s after answering (DELETE_CURRENT_TOKEN_DELAY). */
const DELETE_CURRENT_TOKEN_DELAY_MS = 2000;
const TEST_TIMEOUT_MS = 40_000;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

let cluster: Cluster | undefined;
let a: Instance;
let b: Instance;
/** The owner's onboarding tokens, exchanged on A. */
let owner: Tokens;
const sockets: TestSocket[] = [];

/** An authenticated socket on `instance`, closed after the file. */
async function socketOn(instance: Instance, accessToken: string): Promise<TestSocket> {
  const socket = await TestSocket.authenticated(instance, accessToken);
  sockets.push(socket);
  expect(await socket.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
  return socket;
}

/** A long-lived access token of the owner, made through a socket on `instance`. */
async function longLivedToken(instance: Instance, clientName: string): Promise<string> {
  const socket = await TestSocket.authenticated(instance, owner.access_token);
  try {
    return (await socket.result({ type: 'auth/long_lived_access_token', client_name: clientName, lifespan: 10 })) as string;
  } finally {
    socket.close();
  }
}

/** Fresh normal tokens of the owner: a login flow on `instance`, its code exchanged there. */
function logIn(instance: Instance): Promise<Tokens> {
  return logInForTokens(instance, OWNER.username, OWNER.password);
}

/** Milliseconds from `sentAt` (performance.now()) to the close of `socket`, which must come within WAIT_MS. */
async function closeDelay(socket: TestSocket, sentAt: number): Promise<{ code: number; ms: number }> {
  const { code } = await socket.closedWithin(WAIT_MS);
  return { code, ms: Math.round((socket.closedAt ?? Number.NaN) - sentAt) };
}

/** Whether the access token still opens `/api/` on both instances. */
async function accepted(accessToken: string): Promise<number[]> {
  return Promise.all([a, b].map(async (instance) => (await getWithBearer(instance, '/api/', accessToken)).status));
}

beforeAll(async () => {
  cluster = await startCluster(['A', 'B']);
  [a, b] = cluster.instances as [Instance, Instance];
  const onboarded = await postJson(a, '/api/onboarding/users', { ...OWNER, client_id: CLIENT_ID });
  expect(onboarded.status).toBe(200);
  const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
  const exchanged = await postForm(a, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });
  expect(exchanged.status).toBe(200);
  owner = (await exchanged.json()) as Tokens;
}, READY_TIMEOUT_MS + 15_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all(sockets.map((socket) => socket.closedWithin(WAIT_MS).catch(() => undefined)));
  await cluster?.close();
});

describe('a refresh token ended on B closes its sockets on A', () => {
  it('POST /auth/revoke on B closes the socket on A within a second', async () => {
    const tokens = await logIn(a);
    const onA = await socketOn(a, tokens.access_token);
    const bystander = await socketOn(a, owner.access_token);

    const sentAt = performance.now();
    const revoked = await postForm(b, '/auth/revoke', { token: tokens.refresh_token });
    const answeredIn = performance.now() - sentAt;
    expect([revoked.status, await revoked.text()]).toEqual([200, '']);
    const closed = await closeDelay(onA, sentAt);
    expect(closed.code).toBe(1000);
    expect(closed.ms, `revoke on B → close on A (B answered after ${Math.round(answeredIn)} ms)`).toBeLessThan(CLOSE_WITHIN_MS);

    expect(await accepted(tokens.access_token)).toEqual([401, 401]);
    // Another token's socket on A is untouched.
    expect(await bystander.command({ type: 'ping' })).toEqual({ id: 2, type: 'pong' });
  }, TEST_TIMEOUT_MS);

  it('auth/delete_refresh_token on a socket on B closes the socket on A within a second, and B\'s socket stays', async () => {
    const target = await longLivedToken(b, 'target');
    const onA = await socketOn(a, target);
    const onB = await socketOn(b, await longLivedToken(b, 'deleter'));

    const sentAt = performance.now();
    const answer = await onB.command({ type: 'auth/delete_refresh_token', refresh_token_id: claimsOf(target).iss });
    const answeredIn = performance.now() - sentAt;
    expect(answer).toEqual({ id: 2, type: 'result', success: true, result: {} });
    const closed = await closeDelay(onA, sentAt);
    expect(closed.code).toBe(1000);
    expect(closed.ms, `delete on B → close on A (B answered after ${Math.round(answeredIn)} ms)`).toBeLessThan(CLOSE_WITHIN_MS);

    expect(await accepted(target)).toEqual([401, 401]);
    expect(await onB.command({ type: 'ping' })).toEqual({ id: 3, type: 'pong' });
    expect(onB.closedAt).toBeNull();
  }, TEST_TIMEOUT_MS);

  it('auth/delete_all_refresh_tokens on B closes A\'s socket of another token at once, and of its own token 2 s later', async () => {
    const other = await longLivedToken(a, 'other');
    const otherOnA = await socketOn(a, other);
    const ownOnA = await socketOn(a, owner.access_token); // the token the deleting socket speaks for
    const onB = await socketOn(b, owner.access_token);

    const sentAt = performance.now();
    const answer = await onB.command({ type: 'auth/delete_all_refresh_tokens' });
    const answeredAt = performance.now();
    expect(answer).toEqual({ id: 2, type: 'result', success: true, result: {} });
    const closed = await closeDelay(otherOnA, sentAt);
    expect(closed.code).toBe(1000);
    expect(closed.ms, `delete all on B → close on A (B answered after ${Math.round(answeredAt - sentAt)} ms)`).toBeLessThan(CLOSE_WITHIN_MS);
    expect(await accepted(other)).toEqual([401, 401]);

    // The current token goes DELETE_CURRENT_TOKEN_DELAY after the answer: both its sockets close then, on either instance.
    expect(ownOnA.closedAt).toBeNull();
    const [ownClosed, onBClosed] = await Promise.all([closeDelay(ownOnA, answeredAt), closeDelay(onB, answeredAt)]);
    for (const [where, { code, ms }] of [['A', ownClosed], ['B', onBClosed]] as const) {
      expect(code).toBe(1000);
      expect(ms, `answer → close of the current token's socket on ${where}`).toBeGreaterThan(DELETE_CURRENT_TOKEN_DELAY_MS - 200);
      expect(ms, `answer → close of the current token's socket on ${where}`).toBeLessThan(DELETE_CURRENT_TOKEN_DELAY_MS + CLOSE_WITHIN_MS);
    }
    expect(await accepted(owner.access_token)).toEqual([401, 401]);
  }, TEST_TIMEOUT_MS);
});
