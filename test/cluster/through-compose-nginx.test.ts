/**
 * The deployment docker-compose.yml ships, run on loopback (compose-on-loopback.ts): its nginx
 * configuration in Debian's nginx, in front of two service processes with the replicas' environment
 * and configuration file, on the shared Redis. Every request goes through nginx, as a client of the
 * compose deployment sends them, so each carries nginx's X-Forwarded-For: without a configuration
 * that trusts the balancer, every one of them would be a 400.
 *
 * Which instance answered is read from the instances' own metrics (each one's `GET /metrics` on the
 * METRICS_PORT the compose file gives it, asked directly: the store operations it ran): the nginx configuration runs unchanged, with no header of
 * the test's.
 * nginx's round robin alternates between the two, so consecutive requests land on different ones.
 *
 * bcrypt runs at its real cost (12): the file checks one password and hashes one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRAPE_OPERATIONS, scrape } from '../observability/scrape.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { startComposeOnLoopback, type ComposeOnLoopback } from './compose-on-loopback.js';
import { getWithBearer, postJsonFrom } from './instances.js';
import { OWNER } from './token-traffic.js';
import { type IssuedTokens, postForm, postJson } from '../support/http-client.js';

const TEST_TIMEOUT_MS = 30_000;
const CLOSE_WAIT_MS = 10_000;

let deployment: ComposeOnLoopback | undefined;
let nginx: { baseUrl: string };
const sockets: TestSocket[] = [];

beforeAll(async () => {
  deployment = await startComposeOnLoopback();
  nginx = { baseUrl: deployment.baseUrl };
}, READY_TIMEOUT_MS + 15_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await deployment?.close();
});

/**
 * The store operations an instance has run, as its own metrics count them, but for those a scrape
 * runs itself (SCRAPE_OPERATIONS).
 */
async function storeOperations(instance: { metricsBaseUrl: string }): Promise<number> {
  const samples = await scrape({ baseUrl: instance.metricsBaseUrl });
  return samples
    .filter(({ name, labels }) => name === 'hass_auth_store_seconds_count' && !SCRAPE_OPERATIONS.includes(labels.operation ?? ''))
    .reduce((sum, { value }) => sum + value, 0);
}

/**
 * Sends a request through nginx and names the instance that served it: the one that ran store
 * operations meanwhile (exactly one must have: nothing else runs any).
 */
async function answeredBy<T>(path: string, send: () => Promise<T>): Promise<[T, string]> {
  const instances = deployment?.instances ?? [];
  const before = await Promise.all(instances.map(storeOperations));
  const result = await send();
  const after = await Promise.all(instances.map(storeOperations));
  const served = instances.filter((_, index) => (after[index] ?? 0) > (before[index] ?? 0)).map(({ name }) => name);
  expect(served, `instances that served ${path}`).toHaveLength(1);
  return [result, served[0] ?? ''];
}

async function tokensFrom(response: Response): Promise<IssuedTokens> {
  expect(response.status).toBe(200);
  return (await response.json()) as IssuedTokens;
}

const exchange = (code: string) => postForm(nginx, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });
const startFlow = () => postJson(nginx, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI });

describe("docker-compose.yml's nginx in front of its replicas", () => {
  it("answers the lb service's healthcheck URL with 200", async () => {
    const response = await fetch(deployment?.balancerHealthcheckUrl ?? '');
    expect([response.status, await response.json()]).toEqual([200, { status: 'ok', store: 'redis' }]);
  });

  it('onboards the owner on one replica and exchanges the code on the other', async () => {
    const [onboarded, onboardedOn] = await answeredBy('/api/onboarding/users', () => postJson(nginx, '/api/onboarding/users', { ...OWNER, client_id: CLIENT_ID }));
    expect(onboarded.status).toBe(200);
    const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
    const [exchanged, exchangedOn] = await answeredBy('/auth/token', () => exchange(code));
    expect(exchangedOn).not.toBe(onboardedOn);
    expect(await tokensFrom(exchanged)).toMatchObject({ token_type: 'Bearer', ha_auth_provider: 'homeassistant' });
  }, TEST_TIMEOUT_MS);

  it("logs in with the flow's steps on different replicas, exchanges the code, refreshes, calls the API, and a revocation closes the socket", async () => {
    const [started, startedOn] = await answeredBy('/auth/login_flow', startFlow);
    const { flow_id: flowId } = (await started.json()) as { flow_id: string };
    const stepPath = `/auth/login_flow/${flowId}`;
    const [done, doneOn] = await answeredBy(stepPath, () => postJson(nginx, stepPath, { client_id: CLIENT_ID, username: OWNER.username, password: OWNER.password }));
    expect(doneOn, `flow started on ${startedOn}`).not.toBe(startedOn);
    const step = (await done.json()) as { type: string; result: string };
    expect([done.status, step.type]).toEqual([200, 'create_entry']);
    const [exchanged, exchangedOn] = await answeredBy('/auth/token', () => exchange(step.result));
    expect(exchangedOn).not.toBe(doneOn);
    const tokens = await tokensFrom(exchanged);

    const refreshed = await tokensFrom(await postForm(nginx, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: tokens.refresh_token }));
    for (const accessToken of [tokens.access_token, refreshed.access_token]) {
      const api = await getWithBearer(nginx, '/api/', accessToken);
      expect([api.status, await api.json()]).toEqual([200, { message: 'API running.' }]);
    }

    const [socket, socketOn] = await answeredBy('/api/websocket', () => TestSocket.authenticated(nginx, refreshed.access_token));
    sockets.push(socket);
    expect(await socket.result({ type: 'auth/current_user' })).toMatchObject({ name: OWNER.name, is_owner: true });
    const [revoked, revokedOn] = await answeredBy('/auth/revoke', () => postForm(nginx, '/auth/revoke', { token: tokens.refresh_token }));
    expect([revoked.status, await revoked.text()]).toEqual([200, '']);
    expect(revokedOn, 'the revocation ran on the other replica than the socket').not.toBe(socketOn);
    // 1000: Home Assistant closes normally on revocation (src/ws/connection.ts).
    expect((await socket.closedWithin(CLOSE_WAIT_MS)).code).toBe(1000);
    expect((await getWithBearer(nginx, '/api/', refreshed.access_token)).status).toBe(401);
  }, TEST_TIMEOUT_MS);

  it("gives the replicas the client's address from nginx's X-Forwarded-For", async () => {
    // nginx reaches the replicas from 127.0.0.1 whoever the client is: only the header tells 127.0.0.2 apart.
    const started = await postJsonFrom('127.0.0.2', nginx, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI });
    expect(started.status).toBe(200);
    const { flow_id: flowId } = started.body as { flow_id: string };
    const moved = await postJson(nginx, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, username: OWNER.username, password: OWNER.password });
    expect([moved.status, await moved.json()]).toEqual([400, { message: 'IP address changed' }]);
  }, TEST_TIMEOUT_MS);
});
