/**
 * Three real service processes on one Redis behind a real haproxy (balancer.ts: round robin, every
 * request balanced on its own, WebSocket upgrades passed through), and every request of the tests
 * sent through the balancer, as a client of a replicated deployment sends them: no instance owns a
 * login, a token or a socket's session. The balancer's X-Served-By names the instance that answered,
 * so each test shows that the steps of one login landed on different instances, and checks an answer
 * on every instance by sending the request once per instance: round robin gives each one request.
 *
 * bcrypt runs at its real cost (12), so the file spends few password checks.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Registry from '../../src/ws/command-registry.js';
import { answerOf, type Answer } from '../http/token-client.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { servedBy, startBalancedCluster, upgradedBy, type BalancedCluster } from './balancer.js';
import { tourEveryCommand } from './command-tour.js';
import { getWithBearer, postJsonFrom, type Instance } from './instances.js';
import { type IssuedTokens, postForm, postJson } from '../support/http-client.js';

/** The type of every command the app registers, caught where the registry is built. */
const registered = vi.hoisted(() => new Set<string>());
vi.mock('../../src/ws/command-registry.js', async (importOriginal) => {
  const real = await importOriginal<typeof Registry>();
  const commandRegistry: typeof real.commandRegistry = (commands, logger) => {
    for (const command of commands) registered.add(command.type);
    return real.commandRegistry(commands, logger);
  };
  return { ...real, commandRegistry };
});

const OWNER = { name: 'Alice', username: 'alice', password: 'correct horse battery staple', language: 'en' };
const HANDLER = ['homeassistant', null];
/** Tests that check passwords, across processes, get room for a loaded machine. */
const TEST_TIMEOUT_MS = 40_000;
/** How long a socket on another instance may take to close after a revocation, at most. */
const CLOSE_WAIT_MS = 10_000;

let cluster: BalancedCluster | undefined;
/** Where every request goes. */
let balancer: Pick<Instance, 'baseUrl'>;
let names: string[];
/** The owner's onboarding tokens. */
let owner: IssuedTokens;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  cluster = await startBalancedCluster(['A', 'B', 'C']);
  balancer = { baseUrl: cluster.baseUrl };
  names = cluster.instances.map(({ name }) => name);
}, READY_TIMEOUT_MS + 15_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all(sockets.map((socket) => socket.closedWithin(CLOSE_WAIT_MS).catch(() => undefined)));
  await cluster?.close();
});

/** The same answer from every instance, keyed by name. */
const everywhere = (answer: Answer) => Object.fromEntries(names.map((name) => [name, answer]));

/** Sends a request once per instance (round robin sends each one of them) and keys the answers by instance. */
async function fromEveryInstance(send: () => Promise<Response>): Promise<Record<string, Answer>> {
  const answers: Record<string, Answer> = {};
  for (let i = 0; i < names.length; i += 1) {
    const response = await send();
    answers[servedBy(response)] = await answerOf(response);
  }
  expect(Object.keys(answers).sort()).toEqual(names);
  return answers;
}

const startFlow = () => postJson(balancer, '/auth/login_flow', { client_id: CLIENT_ID, handler: HANDLER, redirect_uri: REDIRECT_URI });

const passwordStep = (flowId: string) => ({ path: `/auth/login_flow/${flowId}`, body: { client_id: CLIENT_ID, username: OWNER.username, password: OWNER.password } });

const exchange = (code: string) => postForm(balancer, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });

const refresh = (refreshToken: string) =>
  postForm(balancer, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: refreshToken });

async function tokensFrom(response: Response): Promise<IssuedTokens> {
  expect(response.status).toBe(200);
  const tokens = (await response.json()) as IssuedTokens;
  expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 1800, ha_auth_provider: 'homeassistant' });
  return tokens;
}

/** A whole login through the balancer: the flow's two steps, then the code exchange. */
async function logIn(): Promise<{ tokens: IssuedTokens; path: string[] }> {
  const started = await startFlow();
  const { flow_id: flowId } = (await started.json()) as { flow_id: string };
  const { path, body } = passwordStep(flowId);
  const done = await postJson(balancer, path, body);
  const step = (await done.json()) as { type: string; result?: string };
  expect([done.status, step.type]).toEqual([200, 'create_entry']);
  const exchanged = await exchange(step.result ?? '');
  return { tokens: await tokensFrom(exchanged), path: [started, done, exchanged].map(servedBy) };
}

/** A socket opened and authenticated through the balancer, closed after the file. */
async function socketThroughBalancer(accessToken: string): Promise<TestSocket> {
  const socket = await TestSocket.authenticated(balancer, accessToken);
  sockets.push(socket);
  return socket;
}

describe('HTTP through the balancer', () => {
  it('onboards the owner on one instance, exchanges its code on another, and every instance sees the step done', async () => {
    const onboarded = await postJson(balancer, '/api/onboarding/users', { ...OWNER, client_id: CLIENT_ID });
    expect(onboarded.status).toBe(200);
    const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
    const exchanged = await exchange(code);
    expect(servedBy(exchanged)).not.toBe(servedBy(onboarded));
    owner = await tokensFrom(exchanged);

    const steps = await fromEveryInstance(() => fetch(`${balancer.baseUrl}/api/onboarding`));
    expect(steps).toEqual(everywhere({ status: 200, body: expect.arrayContaining([{ step: 'user', done: true }]) as unknown }));
    const again = await fromEveryInstance(() => postJson(balancer, '/api/onboarding/users', { ...OWNER, username: 'mallory', client_id: CLIENT_ID }));
    expect(again).toEqual(everywhere({ status: 403, body: { message: 'User step already done' } }));
  }, TEST_TIMEOUT_MS);

  it('logs in with the two steps of the flow on different instances, then refreshes, calls the API on each and revokes', async () => {
    const { tokens, path } = await logIn();
    const [startedOn, finishedOn, exchangedOn] = path;
    expect(finishedOn, `flow started on ${startedOn}`).not.toBe(startedOn);
    expect(exchangedOn, `code issued on ${finishedOn}`).not.toBe(finishedOn);

    const refreshed = await refresh(tokens.refresh_token);
    const { access_token: second } = (await refreshed.json()) as IssuedTokens;
    expect(refreshed.status).toBe(200);
    const running = everywhere({ status: 200, body: { message: 'API running.' } });
    for (const accessToken of [tokens.access_token, second]) {
      expect(await fromEveryInstance(() => getWithBearer(balancer, '/api/', accessToken))).toEqual(running);
    }

    const revoked = await postForm(balancer, '/auth/revoke', { token: tokens.refresh_token });
    expect([revoked.status, await revoked.text()]).toEqual([200, '']);
    expect(await fromEveryInstance(() => refresh(tokens.refresh_token))).toEqual(everywhere({ status: 400, body: { error: 'invalid_grant' } }));
    for (const accessToken of [tokens.access_token, second]) {
      const refused = await fromEveryInstance(() => getWithBearer(balancer, '/api/', accessToken));
      expect(refused).toEqual(everywhere({ status: 401, body: '401: Unauthorized' }));
    }
  }, TEST_TIMEOUT_MS);

  it("gives every instance the client's address from haproxy's X-Forwarded-For", async () => {
    // Every request reaches the instances from haproxy's 127.0.0.1: only the header tells 127.0.0.2 apart.
    const started = await postJsonFrom('127.0.0.2', balancer, '/auth/login_flow', { client_id: CLIENT_ID, handler: HANDLER, redirect_uri: REDIRECT_URI });
    expect(started.status).toBe(200);
    const { path, body } = passwordStep((started.body as { flow_id: string }).flow_id);
    const moved = await fromEveryInstance(() => postJson(balancer, path, body));
    expect(moved).toEqual(everywhere({ status: 400, body: { message: 'IP address changed' } }));
    expect(await postJsonFrom('127.0.0.2', balancer, path, body)).toMatchObject({ status: 200, body: { type: 'create_entry' } });
  }, TEST_TIMEOUT_MS);
});

describe('WebSocket through the balancer', () => {
  it('passes the upgrade through to each instance, and a revocation on one closes the sockets on all', async () => {
    const { tokens } = await logIn();
    const held: TestSocket[] = [];
    for (let i = 0; i < names.length; i += 1) held.push(await socketThroughBalancer(tokens.access_token));
    expect(held.map(upgradedBy).sort()).toEqual(names);
    for (const socket of held) expect(await socket.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    const bystander = await socketThroughBalancer(owner.access_token);

    const revoked = await postForm(balancer, '/auth/revoke', { token: tokens.refresh_token });
    expect([revoked.status, await revoked.text()]).toEqual([200, '']);
    const closes = await Promise.all(held.map(async (socket) => [upgradedBy(socket), (await socket.closedWithin(CLOSE_WAIT_MS)).code]));
    // 1000: Home Assistant closes normally on revocation (src/ws/connection.ts, CLOSE_NORMAL).
    expect(Object.fromEntries(closes)).toEqual(Object.fromEntries(names.map((name) => [name, 1000])));

    expect(await bystander.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    const refused = await fromEveryInstance(() => getWithBearer(balancer, '/api/', tokens.access_token));
    expect(refused).toEqual(everywhere({ status: 401, body: '401: Unauthorized' }));
  }, TEST_TIMEOUT_MS);

  it('answers every registered command, over sockets on two instances', async () => {
    // The registry is built when an app is; the processes behind the balancer run the same code.
    const app = await startTestServer('sqlite');
    await app.close();
    expect(registered.size).toBeGreaterThan(0);

    const one = await socketThroughBalancer(owner.access_token);
    const two = await socketThroughBalancer(owner.access_token);
    expect(upgradedBy(two)).not.toBe(upgradedBy(one));
    const exercised = await tourEveryCommand({
      balancer,
      sockets: [one, two],
      ownerAccessToken: owner.access_token,
      ownerPassword: OWNER.password,
      newOwnerPassword: 'another horse battery staple',
    });
    expect([...exercised].sort()).toEqual([...registered].sort());
  }, TEST_TIMEOUT_MS);
});
