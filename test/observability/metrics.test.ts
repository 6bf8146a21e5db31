import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAuthConfig } from '../../src/auth-config.js';
import { buildMetricsApp } from '../../src/metrics-app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { CLIENT_ID, startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { scrape, valueOf } from './scrape.js';
import { onboardOwner, postForm } from '../support/http-client.js';

const TOKEN_REQUESTS = 'hass_auth_token_requests_total';

describe.each<StoreKind>(['sqlite', 'redis'])('GET /metrics (%s)', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(kind);
  });
  afterEach(async () => {
    await server.close();
  });

  it('answers in Prometheus text format, with the process metrics', async () => {
    const response = await fetch(`${server.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('# TYPE hass_auth_token_requests_total counter');
    expect(text).toContain('# TYPE hass_auth_login_attempts_total counter');
    expect(text).toContain('hass_auth_login_attempts_total{outcome="throttled"} 0');
    expect(text).toContain('# TYPE hass_auth_store_seconds histogram');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('counts token requests by grant type and outcome: a code exchange, a refresh, bad grants', async () => {
    const issued = { grant_type: 'authorization_code', outcome: 'issued' };
    expect(valueOf(await scrape(server), TOKEN_REQUESTS, issued)).toBe(0);
    const { refresh_token: refreshToken } = await onboardOwner(server);
    expect(valueOf(await scrape(server), TOKEN_REQUESTS, issued)).toBe(1);

    const refreshed = await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: refreshToken });
    expect(refreshed.status).toBe(200);
    const wrong = await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: 'f'.repeat(128) });
    expect(await wrong.json()).toEqual({ error: 'invalid_grant' });
    const unknownCode = await postForm(server, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code: 'not-a-code' });
    expect(unknownCode.status).toBe(400);
    const unsupported = await postForm(server, '/auth/token', { grant_type: 'password', client_id: CLIENT_ID });
    expect(await unsupported.json()).toEqual({ error: 'unsupported_grant_type' });

    const samples = await scrape(server);
    expect(valueOf(samples, TOKEN_REQUESTS, { grant_type: 'refresh_token', outcome: 'issued' })).toBe(1);
    expect(valueOf(samples, TOKEN_REQUESTS, { grant_type: 'refresh_token', outcome: 'invalid_grant' })).toBe(1);
    expect(valueOf(samples, TOKEN_REQUESTS, { grant_type: 'authorization_code', outcome: 'invalid_request' })).toBe(1);
    // Unknown grant types are `other`: a client cannot add series.
    expect(valueOf(samples, TOKEN_REQUESTS, { grant_type: 'other', outcome: 'unsupported_grant_type' })).toBe(1);
    expect(samples.filter((s) => s.name === TOKEN_REQUESTS).map((s) => s.labels.grant_type)).not.toContain('password');
  });

  it('counts nothing for other routes', async () => {
    await postForm(server, '/auth/revoke', { token: 'f'.repeat(128) });
    expect((await scrape(server)).filter((s) => s.name === TOKEN_REQUESTS)).toEqual([]);
  });

  it('follows the open WebSockets', async () => {
    const { access_token: accessToken } = await onboardOwner(server);
    expect(valueOf(await scrape(server), 'hass_auth_open_websockets')).toBe(0);
    const socket = await TestSocket.authenticated(server, accessToken);
    expect(valueOf(await scrape(server), 'hass_auth_open_websockets')).toBe(1);
    socket.close();
    await socket.closedWithin();
    // The client sees the close handshake end; the server's close handler may run a moment later.
    await vi.waitFor(async () => expect(valueOf(await scrape(server), 'hass_auth_open_websockets')).toBe(0));
  });

  it('times store round trips by operation, and counts their errors from zero', async () => {
    await onboardOwner(server);
    const samples = await scrape(server);
    for (const operation of ['users.createUser', 'grants.create', 'grants.compareAndSet', 'refreshTokens.create']) {
      expect(valueOf(samples, 'hass_auth_store_seconds_count', { operation }), operation).toBeGreaterThan(0);
      expect(valueOf(samples, 'hass_auth_store_seconds_sum', { operation }), operation).toBeGreaterThan(0);
    }
    expect(samples).toContainEqual({ name: 'hass_auth_store_errors_total', labels: { operation: 'refreshTokens.load' }, value: 0 });
  });
});

const TOKEN = 'a'.repeat(24) + '0123456789abcdef';
const UNAUTHORIZED = { status: 401, contentType: 'text/plain; charset=utf-8', text: '401: Unauthorized' };

async function answerOf(response: Response) {
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

describe('GET /metrics behind METRICS_TOKEN', () => {
  let server: TestServer;
  beforeEach(async () => {
    const authConfig = parseAuthConfig('http: {login_attempts_threshold: 2}', 'test');
    server = await startTestServer('sqlite', undefined, { metricsRoute: { token: TOKEN }, authConfig });
  });
  afterEach(async () => {
    await server.close();
  });

  const getMetrics = (authorization?: string) =>
    fetch(`${server.baseUrl}/metrics`, { headers: authorization === undefined ? {} : { authorization } });

  it.each([
    ['no Authorization header', undefined],
    ['another token', `Bearer ${TOKEN.slice(1)}x`],
    ['the token without its scheme', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
    ['the scheme in lower case', `bearer ${TOKEN}`],
  ])('answers %s with 401 in Home Assistant\'s format', async (_label, authorization) => {
    expect(await answerOf(await getMetrics(authorization))).toEqual(UNAUTHORIZED);
  });

  it('answers the bearer token with the metrics', async () => {
    const response = await getMetrics(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('# TYPE hass_auth_token_requests_total counter');
  });

  it('counts a wrong token as a failed login, as every 401 of a view: guessing it gets the address banned', async () => {
    await getMetrics('Bearer wrong');
    await getMetrics('Bearer wrong again');
    expect(await answerOf(await getMetrics(`Bearer ${TOKEN}`))).toEqual({ status: 403, contentType: 'text/plain; charset=utf-8', text: '403: Forbidden' });
  });
});

describe('GET /metrics on METRICS_PORT', () => {
  let server: TestServer;
  let metricsBase: string;
  let closeMetrics: () => Promise<void>;
  beforeEach(async () => {
    const metrics = createMetrics();
    server = await startTestServer('sqlite', undefined, { metrics, metricsRoute: 'elsewhere' });
    const metricsApp = await buildMetricsApp({ metrics, token: null });
    metricsBase = await metricsApp.listen({ port: 0, host: '127.0.0.1' });
    closeMetrics = () => metricsApp.close();
  });
  afterEach(async () => {
    await closeMetrics();
    await server.close();
  });

  it("is not served on the service's port, and is on its own, with what the service recorded", async () => {
    expect(await answerOf(await fetch(`${server.baseUrl}/metrics`))).toEqual({ status: 404, contentType: 'text/plain', text: '404: Not Found' });
    await onboardOwner(server);
    const samples = await scrape({ baseUrl: metricsBase });
    expect(valueOf(samples, TOKEN_REQUESTS, { grant_type: 'authorization_code', outcome: 'issued' })).toBe(1);
  });

  it('serves nothing else there', async () => {
    for (const path of ['/', '/health', '/auth/providers', '/api/']) expect((await fetch(`${metricsBase}${path}`)).status).toBe(404);
  });

  it('asks for METRICS_TOKEN there when both are set', async () => {
    const guarded = await buildMetricsApp({ metrics: createMetrics(), token: TOKEN });
    try {
      expect((await guarded.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await guarded.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
