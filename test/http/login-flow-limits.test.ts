/**
 * Anonymous writes are bounded (issue 18): starting a login flow needs no credentials, so a client
 * (an IPv4 address, an IPv6 /64) has a limited number of flows open at once, shared across instances
 * since the count is in the store, and a flow's audit entries live no longer than the flow unless
 * its credentials are judged. 10,000 starts from one address leave the store at most 1 MB larger
 * and every other client served.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../../src/auth-config.js';
import { ERRORS } from '../../src/domain/errors.js';
import { LOGIN_FLOW_TTL_MS } from '../../src/services/login/login-flows.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import { deleteKeysUnder, keysUnder, rawClient, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { makeTempDir } from '../stores/sqlite-harness.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { createEntry, deleteFlow, expectHomeAssistantHeaders, jsonOf, openFlow, START, submitStep } from './http-helpers.js';
import { exchangeCode, onboardOwner, startFlow } from '../support/http-client.js';

const ALICE = { username: 'alice', password: 'secret-password' };
const START_BODY = { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI };

const servers: TestServer[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverBehindProxy(kind: StoreKind, yaml = '', store?: ReadableStore): Promise<TestServer> {
  const server = await startTestServer(kind, START, {
    trustProxy: ['127.0.0.1'],
    authConfig: parseAuthConfig(yaml, 'test'),
    ...(store === undefined ? {} : { store }),
  });
  servers.push(server);
  await onboardOwner(server, ALICE.username, ALICE.password);
  return server;
}

describe.each(['sqlite', 'redis'] as const)('open login flows per client over %s', (kind) => {
  it('answers a client past its limit 429 in Home Assistant\'s shape with Retry-After, and no other client', async () => {
    const server = await serverBehindProxy(kind, 'login_flows: {max_open_per_address: 3}');
    for (let i = 0; i < 3; i += 1) await openFlow(server, {}, '203.0.113.7');
    const refused = await startFlow(server, {}, '203.0.113.7');
    expectHomeAssistantHeaders(refused);
    expect(refused.headers.get('retry-after')).toBe(String(LOGIN_FLOW_TTL_MS / 1000));
    expect(await jsonOf(refused)).toEqual({ status: 429, body: { message: ERRORS.too_many_flows.message } });
    // Another address, and an IPv4 client seen through a dual-stack socket as the same address.
    await openFlow(server, {}, '198.51.100.9');
    expect((await startFlow(server, {}, '::ffff:203.0.113.7')).status).toBe(429);
    // A refusal is no failed login: the address is not counted towards a ban.
    expect(await server.store.loginAttempts.failureCount('203.0.113.7')).toBe(0);
  });

  it('counts an IPv6 client by its /64', async () => {
    const server = await serverBehindProxy(kind, 'login_flows: {max_open_per_address: 2}');
    await openFlow(server, {}, '2001:db8:1:2::1');
    await openFlow(server, {}, '2001:db8:1:2:aaaa::2');
    expect((await startFlow(server, {}, '2001:db8:1:2::3')).status).toBe(429);
    await openFlow(server, {}, '2001:db8:1:3::1');
  });

  it('frees a slot when a flow finishes or is aborted', async () => {
    const server = await serverBehindProxy(kind, 'login_flows: {max_open_per_address: 2}');
    const ip = '203.0.113.8';
    const [first, second] = [await openFlow(server, {}, ip), await openFlow(server, {}, ip)];
    expect((await startFlow(server, {}, ip)).status).toBe(429);
    expect((await deleteFlow(server, first)).status).toBe(200);
    await openFlow(server, {}, ip);
    expect(await jsonOf(await submitStep(server, second, ALICE, ip))).toEqual({ status: 200, body: createEntry(second) });
    await openFlow(server, {}, ip);
    expect((await startFlow(server, {}, ip)).status).toBe(429);
  });

  it("keeps an abandoned flow's audit entries out of the trail, and a judged flow's whole history in it", async () => {
    const server = await serverBehindProxy(kind);
    const abandoned = await openFlow(server, {}, '203.0.113.9');
    const judged = await openFlow(server, {}, '203.0.113.9');
    expect((await submitStep(server, judged, { ...ALICE, password: 'wrong' }, '203.0.113.9')).status).toBe(200);
    const history = async (id: string) => (await server.store.audit.forRecord(id)).map(({ event }) => event);
    expect(await history(abandoned)).toEqual(['create']);
    expect(await history(judged)).toEqual(['create', 'CREDENTIALS_REJECTED']);
    const trail = (await server.store.audit.tail(100)).filter((entry) => entry.machine === 'loginFlow');
    expect(trail.map(({ recordId, event }) => [recordId, event])).toEqual([
      [judged, 'create'],
      [judged, 'CREDENTIALS_REJECTED'],
    ]);
  });
});

describe('an abandoned flow on the embedded store (its clock is the test\'s)', () => {
  it('leaves no audit entry once the flow would have expired; a judged flow keeps its history', async () => {
    const server = await serverBehindProxy('sqlite');
    const abandoned = await openFlow(server, {}, '203.0.113.10');
    const judged = await openFlow(server, {}, '203.0.113.10');
    await submitStep(server, judged, { ...ALICE, password: 'wrong' }, '203.0.113.10');
    server.clock.now += LOGIN_FLOW_TTL_MS;
    expect(await server.store.audit.forRecord(abandoned)).toEqual([]);
    expect((await server.store.audit.forRecord(judged)).map(({ event }) => event)).toEqual(['create', 'CREDENTIALS_REJECTED']);
  });
});

/** A store of the test's own, and how many bytes it holds (what `close` leaves on disk; Redis: MEMORY USAGE of its keys). */
async function measuredStore(kind: StoreKind): Promise<{ open(): Promise<ReadableStore>; bytes(): Promise<number> }> {
  if (kind === 'redis') {
    const prefix = uniquePrefix();
    const raw = await rawClient();
    cleanups.push(async () => {
      raw.destroy();
      await deleteKeysUnder(prefix);
    });
    return {
      open: async () => openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() }),
      bytes: async () => {
        let total = 0;
        for (const key of await keysUnder(raw, prefix)) total += (await raw.memoryUsage(key, { SAMPLES: 0 })) ?? 0;
        return total;
      },
    };
  }
  const temp = makeTempDir();
  cleanups.push(async () => temp.remove());
  // Closing checkpoints the write-ahead log into the file: its size is then the database's.
  return { open: async () => openSqliteStore({ dataDir: temp.dir, clock: () => START }), bytes: async () => statSync(join(temp.dir, 'hass-auth.db')).size };
}

describe.each(['sqlite', 'redis'] as const)('a flood of flow starts over %s', (kind) => {
  it('10,000 starts from one address leave the store at most 1 MB larger, and every other client served', { timeout: 120_000 }, async () => {
    const measured = await measuredStore(kind);
    const store = await measured.open();
    const server = await serverBehindProxy(kind, '', store);
    await openFlow(server, {}, '198.51.100.20');
    await server.close();
    servers.splice(0);
    await store.close();
    const before = await measured.bytes();

    const reopened = await measured.open();
    const flooded = await startTestServer(kind, START, { store: reopened });
    cleanups.push(() => reopened.close());
    servers.push(flooded);
    const statuses = new Map<number, number>();
    for (let sent = 0; sent < 10_000; sent += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => flooded.app.inject({ method: 'POST', url: '/auth/login_flow', payload: START_BODY, remoteAddress: '203.0.113.66' })),
      );
      for (const { statusCode } of answers) statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 100, 429: 9_900 });

    // Everyone else: a whole login from another address, and its code exchanged.
    const other = { remoteAddress: '198.51.100.21' };
    const started = await flooded.app.inject({ method: 'POST', url: '/auth/login_flow', payload: START_BODY, ...other });
    const flowId = started.json<{ flow_id: string }>().flow_id;
    const done = await flooded.app.inject({ method: 'POST', url: `/auth/login_flow/${flowId}`, payload: { client_id: CLIENT_ID, ...ALICE }, ...other });
    expect(done.json()).toEqual(createEntry(flowId));
    expect((await exchangeCode(flooded, done.json<{ result: string }>().result)).status).toBe(200);

    await flooded.close();
    servers.splice(0);
    await reopened.close();
    const grown = (await measured.bytes()) - before;
    expect(grown).toBeLessThanOrEqual(1024 * 1024);
  });
});
