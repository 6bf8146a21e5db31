/**
 * GET /auth/providers over HTTP (ha-auth-spec §3.1): closed until onboarding is done, then the one
 * `homeassistant` provider and whether the login page should preselect "remember me".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { expectHomeAssistantHeaders, jsonOf, startProxiedServer } from './http-helpers.js';
import { onboardOwner } from '../support/http-client.js';

const PROVIDERS = [{ name: 'Home Assistant Local', id: null, type: 'homeassistant' }];

describe.each(['sqlite', 'redis'] as const)('GET /auth/providers over %s', (kind: StoreKind) => {
  // Onboarded servers shared by the block (a Redis-backed server costs a few hundred ms to start).
  let onboarded: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    [onboarded, proxied] = await Promise.all([startTestServer(kind), startProxiedServer(kind)]);
    await Promise.all([onboardOwner(onboarded), onboardOwner(proxied)]);
  });
  afterAll(async () => {
    await Promise.all([onboarded.close(), proxied.close()]);
  });

  const getProviders = (from: TestServer, clientIp?: string) =>
    fetch(`${from.baseUrl}/auth/providers`, { headers: clientIp === undefined ? {} : { 'x-forwarded-for': clientIp } });

  it('is 400 onboarding_required before the owner exists', async () => {
    const server = await startTestServer(kind);
    try {
      const response = await getProviders(server);
      expectHomeAssistantHeaders(response);
      expect(await jsonOf(response)).toEqual({
        status: 400,
        body: { message: 'Onboarding not finished', code: 'onboarding_required' },
      });
    } finally {
      await server.close();
    }
  });

  it('follows the onboarding mark, not the owner: open once onboarding is done, even with no user at all', async () => {
    const server = await startTestServer(kind);
    try {
      await server.store.users.markOnboarded();
      expect(await server.store.users.listUsers()).toEqual([]);
      expect(await jsonOf(await getProviders(server))).toEqual({ status: 200, body: { providers: PROVIDERS, preselect_remember_me: true } });
    } finally {
      await server.close();
    }
  });

  it('lists the homeassistant provider and preselects "remember me" for 127.0.0.1', async () => {
    const response = await getProviders(onboarded);
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 200, body: { providers: PROVIDERS, preselect_remember_me: true } });
  });

  it.each([
    ['192.168.1.20', true],
    ['8.8.8.8', false],
    ['100.64.0.1', false],
  ])('from %s (behind a trusted proxy) sets preselect_remember_me to %s', async (clientIp, local) => {
    expect(await jsonOf(await getProviders(proxied, clientIp))).toEqual({
      status: 200,
      body: { providers: PROVIDERS, preselect_remember_me: local },
    });
  });

  it('is 400 invalid_remote_ip when the client address is not an IP', async () => {
    // A proxy that forwards garbage is refused before the view, as Home Assistant's forwarded
    // middleware does (test/http/forwarded.test.ts); the view's own row needs a peer that is no IP.
    const forwarded = await getProviders(proxied, 'not-an-ip');
    expect({ status: forwarded.status, text: await forwarded.text() }).toEqual({ status: 400, text: '400: Bad Request' });
    const response = await onboarded.app.inject({ method: 'GET', url: '/auth/providers', remoteAddress: 'not-an-ip' });
    expect({ status: response.statusCode, body: response.json<unknown>() }).toEqual({
      status: 400,
      body: { message: 'Invalid remote IP', code: 'invalid_remote_ip' },
    });
  });
});
