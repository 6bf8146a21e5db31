/**
 * Redis fails under traffic (issue 7): two real service processes on a private redis-server that
 * keeps an append-only file synced on every write, as docker-compose.yml runs it. Mid-traffic the
 * redis-server is killed (SIGKILL) and later started again on the same port and directory; in the
 * second test it is stopped (SIGSTOP: its connections stay open and answer nothing, as in a network
 * partition) and later resumed.
 *
 * While it fails every HTTP answer is a success or a 503 with a JSON body, and each 503 and each
 * WebSocket error comes within a second of the request (measured per request); nothing hangs, no 500,
 * no reset connection; `/ready` answers 503. Once it is back, the same processes serve again without a
 * restart, everything acknowledged before or during the fault still works (refresh tokens, access
 * tokens, long-lived tokens), and no code was redeemed twice: each code is exchanged by two
 * concurrent requests on different instances, and across the whole run at most one of its exchanges
 * got a 200 (exactly one when neither met the fault).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, killRedisServer, startRedisServer } from '../stores/redis-harness.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { CLIENT_ID } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { FaultTraffic, REQUEST_BOUND_MS, type Answer } from './fault-traffic.js';
import { getWithBearer, postForm, postJson, startInstance, type Instance } from './instances.js';

/** The requirement: a request Redis cannot serve gets its error within a second. */
const ERROR_WITHIN_MS = 1_000;
const UNAVAILABLE = { message: 'Service unavailable: the store cannot be reached' };
const WS_UNAVAILABLE = { code: 'home_assistant_error', message: 'Service unavailable: the store cannot be reached' };
const INVALID_CODE = { error: 'invalid_request', error_description: 'Invalid code' };
/** Cross-process waits (answers seen, reconnects): generous on a loaded machine; failing them fails the test. */
const WAIT = { timeout: 15_000, interval: 50 };
/** At least this long: reconnect attempts back off to one every 1-2 s (src/stores/redis/reconnect.ts). */
const FAULT_LASTS_MS = 2_500;
/** Codes raced before the fault: enough that a double redemption would show. */
const RACED_BEFORE = 10;
const OWNER = { name: 'Alice', username: 'alice', password: 'correct horse battery staple', language: 'en' };
const CONFIG = `
auth_providers:
  - type: homeassistant
  - type: trusted_networks
    trusted_networks: [127.0.0.1]
    allow_bypass_login: true
`;

let dataDir = '';
let port = 0;
let redis: ChildProcess | undefined;
let a: Instance;
let b: Instance;
const started: Instance[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hass-auth-redis-faults-'));
  const configFile = join(dataDir, 'auth.yaml');
  writeFileSync(configFile, CONFIG);
  port = await freePort();
  redis = await startRedisServer(port, { appendOnlyDir: dataDir });
  const env = { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_KEY_PREFIX: 'hass-auth:', CONFIG_FILE: configFile, LOG_LEVEL: 'warn' };
  const results = await Promise.allSettled([startInstance('A', env), startInstance('B', env)]);
  for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  [a, b] = started as [Instance, Instance];
}, READY_TIMEOUT_MS + 15_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all(started.map((instance) => instance.stop()));
  if (redis !== undefined) await killRedisServer(redis);
  rmSync(dataDir, { recursive: true, force: true });
});

async function ownerTokens(): Promise<{ access_token: string }> {
  const onboarded = await postJson(a, '/api/onboarding/users', { ...OWNER, client_id: CLIENT_ID });
  expect(onboarded.status).toBe(200);
  const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
  const exchanged = await postForm(b, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });
  expect(exchanged.status).toBe(200);
  return (await exchanged.json()) as { access_token: string };
}

async function readiness(instance: Instance): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${instance.baseUrl}/ready`, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
  return { status: response.status, body: await response.json() };
}

/** What an answer may be at any point of the run; anything else is reported with the answer. */
function outcome(answer: Answer): 'ok' | 'unavailable' | 'lost the race' | 'unexpected' {
  if (answer.status === 200 || answer.status === 'ws ok') return 'ok';
  if (answer.status === 503 && JSON.stringify(answer.body) === JSON.stringify(UNAVAILABLE)) return 'unavailable';
  if (answer.status === 'ws error' && JSON.stringify((answer.body as { error?: unknown }).error) === JSON.stringify(WS_UNAVAILABLE)) {
    return 'unavailable';
  }
  const lostRace = answer.loop === 'code race' && answer.what === 'exchange' && answer.status === 400;
  if (lostRace && JSON.stringify(answer.body) === JSON.stringify(INVALID_CODE)) return 'lost the race';
  return 'unexpected';
}

/** The items of `items` that fail `works`, checked a few at a time. */
async function failing<T>(items: T[], works: (item: T, index: number) => Promise<boolean>): Promise<T[]> {
  const failed: T[] = [];
  for (let i = 0; i < items.length; i += 8) {
    const batch = items.slice(i, i + 8);
    const results = await Promise.all(batch.map((item, j) => works(item, i + j)));
    batch.forEach((item, j) => {
      if (!results[j]) failed.push(item);
    });
  }
  return failed;
}

/** A way for Redis to fail and come back. */
interface Fault {
  name: string;
  begin(): Promise<void>;
  end(): Promise<void>;
}

const ok = (answer: Answer) => outcome(answer) === 'ok';
const unavailable = (answer: Answer) => outcome(answer) === 'unavailable';

/** Runs traffic before, during and after `fault`, and returns it stopped. */
async function trafficThrough(fault: Fault): Promise<FaultTraffic> {
  const traffic = new FaultTraffic([a, b], sockets as [TestSocket, TestSocket]);
  try {
    // Before: every loop has been served.
    await vi.waitFor(() => {
      for (const loop of traffic.loopNames) expect(traffic.count(loop, 0, ok), loop).toBeGreaterThanOrEqual(3);
      expect(traffic.codeExchanges.size).toBeGreaterThanOrEqual(RACED_BEFORE);
    }, WAIT);

    const faultAt = performance.now();
    await fault.begin();
    // During: every loop meets the fault a few times, for long enough that the reconnect backoff
    // reaches its cap; the probes say not ready.
    await vi.waitFor(() => {
      for (const loop of traffic.loopNames) expect(traffic.count(loop, faultAt, unavailable), loop).toBeGreaterThanOrEqual(4);
      expect(performance.now() - faultAt).toBeGreaterThanOrEqual(FAULT_LASTS_MS);
    }, WAIT);
    for (const instance of [a, b]) {
      expect(await readiness(instance)).toEqual({ status: 503, body: { status: 'unavailable', message: 'the store cannot be reached' } });
    }

    const endedAt = performance.now();
    await fault.end();
    // After: the same processes are ready again and every loop is served again.
    await vi.waitFor(async () => {
      for (const instance of [a, b]) expect(await readiness(instance)).toEqual({ status: 200, body: { status: 'ready' } });
    }, WAIT);
    const readyAt = performance.now();
    await vi.waitFor(() => {
      for (const loop of traffic.loopNames) expect(traffic.count(loop, readyAt, ok), loop).toBeGreaterThanOrEqual(3);
    }, WAIT);
    console.info(`redis-faults (${fault.name}): ${Math.round(endedAt - faultAt)} ms of fault, ready ${Math.round(readyAt - endedAt)} ms after it ended`);
  } finally {
    await traffic.stop();
  }
  return traffic;
}

/** Every answer was a success, a 503 or a lost race, and each error came within a second of its request. */
function expectOnlyTimelyErrors(name: string, traffic: FaultTraffic): void {
  const errors = traffic.answers.filter(unavailable);
  const slowest = Math.max(...errors.map((answer) => answer.ms));
  const slowestOk = Math.max(...traffic.answers.filter(ok).map((answer) => answer.ms));
  console.info(
    `redis-faults (${name}): ${traffic.answers.length} answers, ${errors.length} errors (slowest ${Math.round(slowest)} ms; ` +
      `slowest success ${Math.round(slowestOk)} ms), ${traffic.codeExchanges.size} raced codes; acknowledged: ` +
      `${traffic.refreshTokens.length} refresh tokens, ${traffic.accessTokens.length} access tokens, ${traffic.longLivedTokens.length} long-lived tokens`,
  );
  expect(traffic.answers.filter((answer) => outcome(answer) === 'unexpected')).toEqual([]);
  const late = errors.filter((answer) => answer.ms >= ERROR_WITHIN_MS);
  expect(late.map(({ loop, what, ms }) => ({ loop, what, ms: Math.round(ms) }))).toEqual([]);
}

/** No code was redeemed twice, counting exchanges of the codes the fault left undecided made again now. */
async function expectEachCodeRedeemedOnce(traffic: FaultTraffic): Promise<void> {
  const undecided = [...traffic.codeExchanges].filter(([, statuses]) => !statuses.some((status) => status === 200 || status === 400));
  for (const [code] of undecided) await Promise.all([traffic.exchange(a, code), traffic.exchange(b, code)]);
  expect(traffic.answers.filter((answer) => outcome(answer) === 'unexpected')).toEqual([]);
  for (const [code, statuses] of traffic.codeExchanges) {
    const redeemed = statuses.filter((status) => status === 200).length;
    expect(redeemed, `code ${code}: ${statuses.join(', ')}`).toBeLessThanOrEqual(1);
    // Both exchanges were answered (neither met the fault): exactly one of them won.
    if (statuses.length === 2 && statuses.every((status) => status === 200 || status === 400)) expect(redeemed).toBe(1);
  }
}

/** Everything acknowledged still works, on either instance, and the sockets lived through it. */
async function expectNothingAcknowledgedLost(traffic: FaultTraffic): Promise<void> {
  const refreshes = async (token: string, i: number) => {
    const fields = { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: token };
    return (await postForm(i % 2 === 0 ? a : b, '/auth/token', fields)).status === 200;
  };
  const opensApi = async (token: string, i: number) => (await getWithBearer(i % 2 === 0 ? b : a, '/api/', token)).status === 200;
  expect(await failing(traffic.refreshTokens, refreshes)).toEqual([]);
  expect(await failing(traffic.accessTokens, opensApi)).toEqual([]);
  expect(await failing(traffic.longLivedTokens, opensApi)).toEqual([]);
  for (const socket of sockets) expect(await socket.command({ type: 'ping' })).toMatchObject({ type: 'pong' });
}

describe('Redis failing under traffic, without restarting the service', () => {
  beforeAll(async () => {
    const owner = await ownerTokens();
    for (const instance of [a, b]) sockets.push(await TestSocket.authenticated(instance, owner.access_token));
  });

  it('killed (SIGKILL) and started again on its file: 503s and errors within a second, nothing acknowledged lost', async () => {
    const traffic = await trafficThrough({
      name: 'killed',
      begin: () => killRedisServer(redis as ChildProcess),
      end: async () => {
        redis = await startRedisServer(port, { appendOnlyDir: dataDir });
      },
    });
    expectOnlyTimelyErrors('killed', traffic);
    await expectEachCodeRedeemedOnce(traffic);
    await expectNothingAcknowledgedLost(traffic);
  }, 90_000);

  it('hanging (SIGSTOP, the connection stays open) and resumed: the same', async () => {
    const traffic = await trafficThrough({
      name: 'hanging',
      begin: async () => void redis?.kill('SIGSTOP'),
      end: async () => void redis?.kill('SIGCONT'),
    });
    expectOnlyTimelyErrors('hanging', traffic);
    await expectEachCodeRedeemedOnce(traffic);
    await expectNothingAcknowledgedLost(traffic);
  }, 90_000);
});
