/**
 * What the fault tests (redis-faults.test.ts: Redis killed or hanging; sentinel-failover.test.ts: the
 * master killed and a replica promoted) check of the traffic of fault-traffic.ts, run against two
 * instances through a fault: every answer a success, a 503 with its JSON body or a lost code race;
 * each error within a second; no code redeemed twice; everything acknowledged still there after.
 */
import { expect, vi } from 'vitest';
import { CLIENT_ID } from '../support/test-server.js';
import type { TestSocket } from '../support/ws-client.js';
import { FaultTraffic, REQUEST_BOUND_MS, type Answer } from './fault-traffic.js';
import { getWithBearer, type Instance } from './instances.js';
import { postForm, postJson } from '../support/http-client.js';

/** The requirement: a request Redis cannot serve gets its error within a second. */
export const ERROR_WITHIN_MS = 1_000;
export const UNAVAILABLE = { message: 'Service unavailable: the store cannot be reached' };
export const WS_UNAVAILABLE = { code: 'home_assistant_error', message: 'Service unavailable: the store cannot be reached' };
const INVALID_CODE = { error: 'invalid_request', error_description: 'Invalid code' };
/** Cross-process waits (answers seen, reconnects): generous on a loaded machine; failing them fails the test. */
export const WAIT = { timeout: 15_000, interval: 50 };
/** Codes raced before the fault: enough that a double redemption would show. */
const RACED_BEFORE = 10;
const OWNER = { name: 'Alice', username: 'alice', password: 'correct horse battery staple', language: 'en' };

/** Onboards the owner on one instance and exchanges the code on the other: the owner's tokens. */
export async function ownerTokens([a, b]: [Instance, Instance]): Promise<{ access_token: string }> {
  const onboarded = await postJson(a, '/api/onboarding/users', { ...OWNER, client_id: CLIENT_ID });
  expect(onboarded.status).toBe(200);
  const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
  const exchanged = await postForm(b, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });
  expect(exchanged.status).toBe(200);
  return (await exchanged.json()) as { access_token: string };
}

export async function readiness(instance: Instance): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${instance.baseUrl}/ready`, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
  return { status: response.status, body: await response.json() };
}

/** What an answer may be at any point of the run; anything else is reported with the answer. */
export function outcome(answer: Answer): 'ok' | 'unavailable' | 'lost the race' | 'unexpected' {
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
export interface Fault {
  name: string;
  begin(): Promise<void>;
  /** Resolves once Redis can serve again (restarted, resumed, a replica promoted). */
  end(): Promise<void>;
  /** How long the fault lasts at least, and how many errors each loop meets during it. */
  lastsMs: number;
  errorsPerLoop: number;
  /** Whether `/ready` must answer 503 once every loop met its errors (false: the fault may be over by then). */
  notReadyDuring: boolean;
}

export const ok = (answer: Answer) => outcome(answer) === 'ok';
export const unavailable = (answer: Answer) => outcome(answer) === 'unavailable';

/** Runs traffic before, during and after `fault`, and returns it stopped. */
export async function trafficThrough(pair: [Instance, Instance], sockets: [TestSocket, TestSocket], fault: Fault): Promise<FaultTraffic> {
  const traffic = new FaultTraffic(pair, sockets);
  try {
    // Before: every loop has been served.
    await vi.waitFor(() => {
      for (const loop of traffic.loopNames) expect(traffic.count(loop, 0, ok), loop).toBeGreaterThanOrEqual(3);
      expect(traffic.codeExchanges.size).toBeGreaterThanOrEqual(RACED_BEFORE);
    }, WAIT);

    await fault.begin();
    // From the moment the fault holds (Redis dead or stopped): requests sent before may still succeed.
    const faultAt = performance.now();
    // During: every loop meets the fault a few times, for long enough that the reconnect backoff
    // reaches its cap; the probes say not ready.
    await vi.waitFor(() => {
      for (const loop of traffic.loopNames) expect(traffic.count(loop, faultAt, unavailable), loop).toBeGreaterThanOrEqual(fault.errorsPerLoop);
      expect(performance.now() - faultAt).toBeGreaterThanOrEqual(fault.lastsMs);
    }, WAIT);
    if (fault.notReadyDuring) {
      for (const instance of pair) {
        expect(await readiness(instance)).toEqual({ status: 503, body: { status: 'unavailable', message: 'the store cannot be reached' } });
      }
    }

    await fault.end();
    const endedAt = performance.now();
    // After: the same processes are ready again and every loop is served again.
    await vi.waitFor(async () => {
      for (const instance of pair) expect(await readiness(instance)).toEqual({ status: 200, body: { status: 'ready' } });
    }, WAIT);
    const readyAt = performance.now();
    await vi.waitFor(() => {
      for (const loop of traffic.loopNames) expect(traffic.count(loop, readyAt, ok), loop).toBeGreaterThanOrEqual(3);
    }, WAIT);
    const firstOk = traffic.answers.filter((answer) => answer.sentAt >= faultAt && ok(answer)).reduce((first, answer) => Math.min(first, answer.sentAt + answer.ms), Infinity);
    traffic.timeline = { faultMs: endedAt - faultAt, readyAfterMs: readyAt - endedAt, firstOkAfterFaultMs: firstOk - faultAt };
    console.info(
      `faults (${fault.name}): ${Math.round(endedAt - faultAt)} ms of fault, ready ${Math.round(readyAt - endedAt)} ms after it ended, ` +
        `first success ${Math.round(firstOk - faultAt)} ms after it began`,
    );
  } finally {
    await traffic.stop();
  }
  return traffic;
}

/** Every answer was a success, a 503 or a lost race, and each error came within a second of its request. */
export function expectOnlyTimelyErrors(name: string, traffic: FaultTraffic): void {
  const errors = traffic.answers.filter(unavailable);
  const slowest = Math.max(...errors.map((answer) => answer.ms));
  const slowestOk = Math.max(...traffic.answers.filter(ok).map((answer) => answer.ms));
  console.info(
    `faults (${name}): ${traffic.answers.length} answers, ${errors.length} errors (slowest ${Math.round(slowest)} ms; ` +
      `slowest success ${Math.round(slowestOk)} ms), ${traffic.codeExchanges.size} raced codes; acknowledged: ` +
      `${traffic.refreshTokens.length} refresh tokens, ${traffic.accessTokens.length} access tokens, ${traffic.longLivedTokens.length} long-lived tokens, ` +
      `${traffic.revokedTokens.length} revocations`,
  );
  expect(traffic.answers.filter((answer) => outcome(answer) === 'unexpected')).toEqual([]);
  const late = errors.filter((answer) => answer.ms >= ERROR_WITHIN_MS);
  expect(late.map(({ loop, what, ms }) => ({ loop, what, ms: Math.round(ms) }))).toEqual([]);
}

/** No code was redeemed twice, counting exchanges of the codes the fault left undecided made again now. */
export async function expectEachCodeRedeemedOnce(traffic: FaultTraffic, [a, b]: [Instance, Instance]): Promise<void> {
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

/** What was acknowledged and no longer holds, on either instance: tokens that stopped working, revocations undone. */
export async function acknowledgedLost(traffic: FaultTraffic, [a, b]: [Instance, Instance]): Promise<Record<'refreshTokens' | 'accessTokens' | 'longLivedTokens' | 'revokedTokens', string[]>> {
  const refreshes = async (token: string, i: number) => {
    const fields = { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: token };
    return (await postForm(i % 2 === 0 ? a : b, '/auth/token', fields)).status === 200;
  };
  const opensApi = async (token: string, i: number) => (await getWithBearer(i % 2 === 0 ? b : a, '/api/', token)).status === 200;
  const refused = async (token: string, i: number) => !(await refreshes(token, i));
  return {
    refreshTokens: await failing(traffic.refreshTokens, refreshes),
    accessTokens: await failing(traffic.accessTokens, opensApi),
    longLivedTokens: await failing(traffic.longLivedTokens, opensApi),
    revokedTokens: await failing(traffic.revokedTokens, refused),
  };
}

/** Everything acknowledged still works, on either instance, and the sockets lived through it. */
export async function expectNothingAcknowledgedLost(traffic: FaultTraffic, pair: [Instance, Instance], sockets: TestSocket[]): Promise<void> {
  expect(await acknowledgedLost(traffic, pair)).toEqual({ refreshTokens: [], accessTokens: [], longLivedTokens: [], revokedTokens: [] });
  for (const socket of sockets) expect(await socket.command({ type: 'ping' })).toMatchObject({ type: 'pong' });
}

