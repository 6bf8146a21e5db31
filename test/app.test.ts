import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { signAccessToken } from '../src/domain/access-token.js';
import { actorHandle } from '../src/runtime/actor-handle.js';
import { openSqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { StoreUnavailableError, type Store } from '../src/stores/types.js';
import { aUser, issueRefreshToken } from './support/fixtures.js';
import { silentLogger } from './support/logger.js';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

describe('HTTP app', () => {
  let now = T0;
  let store: Store;
  let app: FastifyInstance;

  beforeEach(async () => {
    now = T0;
    store = openSqliteStore({ dataDir: ':memory:', clock: () => now });
    app = await buildApp({ store, clock: () => now });
  });
  afterEach(async () => {
    await app.close();
    await store.close();
  });

  async function tokenFor(overrides: Parameters<typeof aUser>[0] = {}) {
    const user = aUser(overrides);
    await store.users.createUser(user);
    const refresh = await issueRefreshToken(store, user.id, now);
    return { user, refresh, access: await signAccessToken(refresh.id, refresh.jwtKey, now, 1800) };
  }
  const getApi = (authorization?: string) =>
    app.inject({ method: 'GET', url: '/api/', headers: authorization === undefined ? {} : { authorization } });

  it('answers GET /api/ without a token as aiohttp does: 401 text, with Home Assistant headers', async () => {
    const response = await getApi();
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toBe('401: Unauthorized');
    expect(response.headers).toMatchObject({
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
    });
  });

  it('accepts a Home Assistant access token of a live refresh token', async () => {
    const { access } = await tokenFor();
    const response = await getApi(`Bearer ${access}`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: 'API running.' });
  });

  it('refuses a scheme other than exactly "Bearer", and a token signed with another key', async () => {
    const { access, refresh } = await tokenFor();
    expect((await getApi(`bearer ${access}`)).statusCode).toBe(401);
    expect((await getApi(access)).statusCode).toBe(401);
    const forged = await signAccessToken(refresh.id, 'another key', now, 1800);
    expect((await getApi(`Bearer ${forged}`)).statusCode).toBe(401);
  });

  it('accepts a token up to 10 s past exp, as PyJWT does (`exp <= now - leeway` is expired)', async () => {
    const { access } = await tokenFor();
    now = T0 + (1800 + 9) * 1000 + 999;
    expect((await getApi(`Bearer ${access}`)).statusCode).toBe(200);
    now = T0 + (1800 + 10) * 1000;
    expect((await getApi(`Bearer ${access}`)).statusCode).toBe(401);
  });

  it('refuses tokens over 8192 characters before parsing them', async () => {
    const { access } = await tokenFor();
    expect((await getApi(`Bearer ${access}${'A'.repeat(8193 - access.length)}`)).statusCode).toBe(401);
  });

  it('kills every access token of a revoked refresh token at once', async () => {
    const { access, refresh } = await tokenFor();
    await actorHandle('refreshToken', store.refreshTokens, {
      logger: silentLogger(),
    }).transition(refresh.id, { type: 'REVOKE', now, reason: 'revoked' });
    expect((await getApi(`Bearer ${access}`)).statusCode).toBe(401);
  });

  it('refuses the tokens of an inactive user, and of a refresh token past its expiry', async () => {
    const inactive = await tokenFor({ isActive: false });
    expect((await getApi(`Bearer ${inactive.access}`)).statusCode).toBe(401);
    const { refresh } = await tokenFor();
    now = T0 + 90 * 24 * 3600 * 1000;
    const late = await signAccessToken(refresh.id, refresh.jwtKey, now, 1800);
    expect((await getApi(`Bearer ${late}`)).statusCode).toBe(401);
  });

  it('reports health with the store kind, and 503 with a JSON body while the store is unreachable', async () => {
    const ok = await app.inject({ method: 'GET', url: '/health' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ok', store: 'sqlite' });
    const broken: Store = { ...store, kind: store.kind, ping: () => Promise.reject(new StoreUnavailableError('Redis is down')) };
    const down = await buildApp({ store: broken, clock: () => now });
    const response = await down.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ message: 'Service unavailable: the store cannot be reached' });
    await down.close();
  });

  it('answers unknown paths with aiohttp\'s 404 text', async () => {
    const response = await app.inject({ method: 'GET', url: '/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe('404: Not Found');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});
