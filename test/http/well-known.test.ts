import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/types.js';

const DOCS = 'https://developers.home-assistant.io/docs/auth_api';

describe('OAuth metadata and WWW-Authenticate', () => {
  let store: Store;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = openSqliteStore({ dataDir: ':memory:' });
    app = await buildApp({ store, clock: Date.now, urls: ['https://ha.example.com', 'http://homeassistant.local:8123/'] });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });
  const get = (url: string, host: string) => app.inject({ method: 'GET', url, headers: { host } });

  it.each([
    ['ha.example.com', 'https://ha.example.com'],
    ['homeassistant.local:8123', 'http://homeassistant.local:8123'],
    ['127.0.0.1:8123', 'http://127.0.0.1:8123'],
    ['localhost:9000', 'http://localhost:9000'],
    ['[::1]:8123', 'http://[::1]:8123'],
  ])('gives the absolute shape with issuer for a request to %s', async (host, prefix) => {
    const response = await get('/.well-known/oauth-authorization-server', host);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      issuer: prefix,
      authorization_endpoint: `${prefix}/auth/authorize`,
      token_endpoint: `${prefix}/auth/token`,
      revocation_endpoint: `${prefix}/auth/revoke`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      service_documentation: DOCS,
      client_id_metadata_document_supported: true,
    });
    expect((await get('/.well-known/oauth-protected-resource', host)).json()).toEqual({
      resource: prefix,
      authorization_servers: [prefix],
      resource_documentation: DOCS,
    });
    const unauthorized = await get('/api/', host);
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['www-authenticate']).toBe(`Bearer resource_metadata="${prefix}/.well-known/oauth-protected-resource"`);
  });

  it('falls back to relative endpoints without issuer, and no protected-resource document, for an unknown host', async () => {
    const response = await get('/.well-known/oauth-authorization-server', '192.168.1.50:8123');
    expect(response.json()).toEqual({
      authorization_endpoint: '/auth/authorize',
      token_endpoint: '/auth/token',
      revocation_endpoint: '/auth/revoke',
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      service_documentation: DOCS,
      client_id_metadata_document_supported: true,
    });
    const resource = await get('/.well-known/oauth-protected-resource', '192.168.1.50:8123');
    expect(resource.statusCode).toBe(404);
    expect(resource.json()).toEqual({ message: 'No URL available' });
    expect((await get('/api/', '192.168.1.50:8123')).headers['www-authenticate']).toBeUndefined();
  });

  it('advertises nothing this service does not do', async () => {
    const body = (await get('/.well-known/oauth-authorization-server', 'ha.example.com')).json<Record<string, unknown>>();
    for (const key of ['registration_endpoint', 'grant_types_supported', 'token_endpoint_auth_methods_supported']) {
      expect(body).not.toHaveProperty(key);
    }
  });
});
