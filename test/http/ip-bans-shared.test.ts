/**
 * Counters and bans live in the store (ha-auth-spec §11, issue 5): two instances on one Redis (two
 * apps over two connections with the same key prefix, as two replicas are) count one address'
 * failures together and refuse it together once banned, a success on one resets what the other
 * counted, a lift through either takes effect on both; and bans survive a restart, on Redis and in the
 * SQLite file of a DATA_DIR.
 *
 * Each instance checks its own copy of the ban list, which hears every change from Redis' pub/sub:
 * the instance that banned refuses at once, the other one as soon as the message arrives, hence the
 * polls (`vi.waitFor`) where a request goes to the other instance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ipBanAdmin } from '../../src/services/bans/login-attempts.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/types.js';
import { deleteKeysUnder, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { httpConfig } from './ip-ban-helpers.js';

const THRESHOLD = 3;
const OWNER = { name: 'Alice', username: 'alice', password: 'secret-password', client_id: CLIENT_ID, language: 'en' };

interface Instance {
  app: FastifyInstance;
  store: Store;
  /** Status of a request from `ip` (through the trusted proxy). */
  get(ip: string, path: string): Promise<number>;
  /** A login flow from `ip` with this password: the result's type, or the status when it is not 200. */
  logIn(ip: string, password: string): Promise<string | number>;
}

const now = () => Date.UTC(2026, 10, 27, 12);

/** Polls until the assertion holds: what one instance wrote reaches the other's copy by pub/sub. */
const soon = (assertion: () => Promise<void>) => vi.waitFor(assertion, { timeout: 2_000, interval: 5 });

async function instance(store: Store): Promise<Instance> {
  const app = await buildApp({ store, clock: now, bcryptRounds: 4, trustProxy: ['127.0.0.1'], authConfig: httpConfig(THRESHOLD) });
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const post = async (ip: string, url: string, payload: unknown) =>
    app.inject({ method: 'POST', url, headers: { ...from(ip), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  return {
    app,
    store,
    get: async (ip, path) => (await app.inject({ method: 'GET', url: path, headers: from(ip) })).statusCode,
    async logIn(ip, password) {
      const started = await post(ip, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI });
      if (started.statusCode !== 200) return started.statusCode;
      const step = await post(ip, `/auth/login_flow/${started.json<{ flow_id: string }>().flow_id}`, { client_id: CLIENT_ID, username: 'alice', password });
      return step.statusCode === 200 ? step.json<{ type: string; errors?: { base?: string } }>().errors?.base ?? step.json<{ type: string }>().type : step.statusCode;
    },
  };
}

async function onboard(first: Instance): Promise<void> {
  const response = await first.app.inject({ method: 'POST', url: '/api/onboarding/users', payload: OWNER });
  if (response.statusCode !== 200) throw new Error(`onboarding answered ${response.statusCode}`);
}

async function closeAll(instances: Instance[]): Promise<void> {
  for (const { app, store } of instances.splice(0)) {
    await app.close();
    await store.close();
  }
}

describe('IP bans across two instances on one Redis', () => {
  const prefix = uniquePrefix();
  const open: Instance[] = [];
  const start = async () => {
    const started = await instance(await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() }));
    open.push(started);
    return started;
  };
  afterEach(async () => {
    await closeAll(open);
    await deleteKeysUnder(prefix);
  });

  it('count one address together, ban it on both, reset and lift it from either', async () => {
    const [a, b] = [await start(), await start()];
    await onboard(a);
    const ip = '203.0.113.50';
    expect(await a.logIn(ip, 'wrong')).toBe('invalid_auth');
    expect(await b.get(ip, '/api/')).toBe(401);
    expect(await a.store.loginAttempts.failureCount(ip)).toBe(2);
    // A success on b forgets what a counted.
    expect(await b.logIn(ip, 'secret-password')).toBe('create_entry');
    expect(await a.store.loginAttempts.failureCount(ip)).toBe(0);

    expect(await a.logIn(ip, 'wrong')).toBe('invalid_auth');
    expect(await b.logIn(ip, 'wrong')).toBe('invalid_auth');
    expect(await a.get(ip, '/api/')).toBe(401);
    expect(await a.get(ip, '/health')).toBe(403);
    await soon(async () => expect(await b.get(ip, '/health')).toBe(403));
    expect(await b.logIn(ip, 'secret-password')).toBe(403);
    expect([await a.get('203.0.113.51', '/health'), await b.get('203.0.113.51', '/health')]).toEqual([200, 200]);

    expect(await ipBanAdmin(b.store).lift(ip)).toBe(true);
    await soon(async () => expect([await a.get(ip, '/health'), await b.get(ip, '/health')]).toEqual([200, 200]));
  });

  it('racing failures on both instances ban the address once', async () => {
    const [a, b] = [await start(), await start()];
    await onboard(a);
    const ip = '203.0.113.52';
    await Promise.all([a, b, a, b, a, b].map((one) => one.get(ip, '/api/')));
    expect(await a.store.loginAttempts.failureCount(ip)).toBe(6);
    expect(await b.store.loginAttempts.listBans()).toEqual([{ ip, bannedAt: now() }]);
  });

  it('keep the ban across a restart of every instance', async () => {
    const a = await start();
    await onboard(a);
    const ip = '203.0.113.53';
    for (let attempt = 0; attempt < THRESHOLD; attempt += 1) await a.get(ip, '/api/');
    expect(await a.get(ip, '/health')).toBe(403);
    await closeAll(open);
    const restarted = await start();
    expect(await restarted.get(ip, '/health')).toBe(403);
    expect(await restarted.get('203.0.113.54', '/health')).toBe(200);
  });
});

describe('IP bans in the SQLite file of DATA_DIR', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hass-auth-bans-'));
  const open: Instance[] = [];
  afterEach(async () => {
    await closeAll(open);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps bans and counts across a restart', async () => {
    const first = await instance(openSqliteStore({ dataDir, clock: now }));
    open.push(first);
    await onboard(first);
    const [banned, counted] = ['203.0.113.60', '203.0.113.61'];
    for (let attempt = 0; attempt < THRESHOLD; attempt += 1) await first.get(banned, '/api/');
    await first.get(counted, '/api/');
    await closeAll(open);

    const second = await instance(openSqliteStore({ dataDir, clock: now }));
    open.push(second);
    expect(await second.get(banned, '/health')).toBe(403);
    expect(await second.store.loginAttempts.failureCount(counted)).toBe(1);
    expect(await second.get(counted, '/health')).toBe(200);
  });
});
