/**
 * Store round trips per request on the hot paths (issue 16), counted by the store instrumentation
 * (`hass_auth_store_seconds_count{operation}`, one count per call: one Redis round trip, one SQLite
 * transaction), never timed. The bounds: refresh grant 2, `GET /api/` 1, a rotation 3 (2 once the
 * process has its rotation key), a retry within the grace window reads only, code exchange 3.
 *
 * The audit trail's entries are written after the answer on some paths: each count waits for the
 * store to have run everything the request started (a read on the same connection comes after).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../../src/auth-config.js';
import { SCRAPE_OPERATIONS, scrape } from '../observability/scrape.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { newCode } from './token-client.js';
import { type IssuedTokens, exchangeCode, onboardOwner, refreshGrant } from '../support/http-client.js';

const ROTATING = 'https://app.example/';
const authConfig = parseAuthConfig(`clients: {"${ROTATING}": {refresh_token_rotation: true, grace_period: 60}}`, 'test');

type Operations = Record<string, number>;

async function operations(server: TestServer): Promise<Operations> {
  await server.store.audit.tail(1);
  const counts: Operations = {};
  for (const { name, labels, value } of await scrape(server)) {
    // The scrape itself counts records per state, with the last hour of the states that delete theirs: not the request's.
    if (name === 'hass_auth_store_seconds_count' && labels.operation !== undefined && !SCRAPE_OPERATIONS.includes(labels.operation)) counts[labels.operation] = value;
  }
  return counts;
}

/** The store operations `request` ran, each with how many times. */
async function roundTripsOf(server: TestServer, request: () => Promise<Response>): Promise<Operations> {
  const before = await operations(server);
  const response = await request();
  expect(response.status).toBe(200);
  const after = await operations(server);
  const ran: Operations = {};
  for (const [operation, count] of Object.entries(after)) {
    const delta = count - (before[operation] ?? 0);
    if (delta > 0) ran[operation] = delta;
  }
  return ran;
}

const total = (ran: Operations) => Object.values(ran).reduce((sum, count) => sum + count, 0);

describe.each(['sqlite', 'redis'] as const)('store round trips per request (%s)', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(kind, undefined, { authConfig });
    await onboardOwner(server);
  });
  afterEach(() => server.close());

  const login = async (clientId?: string) => (await (await exchangeCode(server, await newCode(server, clientId), clientId)).json()) as IssuedTokens;

  it('refresh grant: at most 2', async () => {
    const { refresh_token: token } = await login();
    server.clock.now += 1000; // a use at a later time: its write is due
    const ran = await roundTripsOf(server, () => refreshGrant(server, token));
    expect(total(ran), JSON.stringify(ran)).toBeLessThanOrEqual(2);
  });

  it('concurrent refreshes of one token: a read and at most one use each, no compare-and-set to retry', async () => {
    const { refresh_token: token } = await login();
    server.clock.now += 1000;
    const before = await operations(server);
    const responses = await Promise.all(Array.from({ length: 10 }, () => refreshGrant(server, token)));
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 10 }, () => 200));
    const after = await operations(server);
    const ran = Object.fromEntries(Object.entries(after).flatMap(([operation, count]) => (count > (before[operation] ?? 0) ? [[operation, count - (before[operation] ?? 0)]] : [])));
    // Uses at one time from one address after the first change nothing: those need not write.
    expect(ran['refreshTokens.loadPresented'], JSON.stringify(ran)).toBe(10);
    expect(ran['refreshTokens.recordUse'], JSON.stringify(ran)).toBeLessThanOrEqual(10);
    expect(total(ran), JSON.stringify(ran)).toBeLessThanOrEqual(20);
  });

  it('GET /api/: at most 1', async () => {
    const { access_token: accessToken } = await login();
    const ran = await roundTripsOf(server, () => fetch(`${server.baseUrl}/api/`, { headers: { authorization: `Bearer ${accessToken}` } }));
    expect(total(ran), JSON.stringify(ran)).toBeLessThanOrEqual(1);
  });

  // The grant with its login's user (grants.loadRedemption), then one write of the redeemed grant
  // and the new token (grants.redeem): 2, within issue 16's 3.
  it('code exchange: at most 3, its audit entries written with its writes', async () => {
    const code = await newCode(server);
    const ran = await roundTripsOf(server, () => exchangeCode(server, code));
    expect(ran['audit.append'], JSON.stringify(ran)).toBeUndefined();
    expect(total(ran), JSON.stringify(ran)).toBeLessThanOrEqual(3);
  });

  it('rotation: at most 3, then 2; a retry within the grace window only reads', async () => {
    const first = await login(ROTATING);
    server.clock.now += 1000;
    const firstRotation = await roundTripsOf(server, () => refreshGrant(server, first.refresh_token, ROTATING));
    expect(total(firstRotation), JSON.stringify(firstRotation)).toBeLessThanOrEqual(3);
    const second = await login(ROTATING);
    const rotation = await roundTripsOf(server, () => refreshGrant(server, second.refresh_token, ROTATING));
    expect(total(rotation), JSON.stringify(rotation)).toBeLessThanOrEqual(2);
    const retry = await roundTripsOf(server, () => refreshGrant(server, second.refresh_token, ROTATING));
    expect(Object.keys(retry).filter((operation) => !/\.(load|find|get|list|presented|session)/.test(operation)), JSON.stringify(retry)).toEqual([]);
  });
});
