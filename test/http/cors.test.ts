/** CORS as Home Assistant answers it (ha-auth-spec §0): any origin on the token endpoints, configured origins elsewhere. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('CORS', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(() => server.close());
  const corsOf = async (path: string, init: RequestInit) => {
    const response = await fetch(`${server.baseUrl}${path}`, init);
    await response.arrayBuffer();
    return {
      status: response.status,
      origin: response.headers.get('access-control-allow-origin'),
      headers: response.headers.get('access-control-allow-headers'),
      credentials: response.headers.get('access-control-allow-credentials'),
    };
  };

  it.each(['/auth/token', '/auth/revoke'])('lets any origin call %s, without credentials', async (path) => {
    const answer = await corsOf(path, { method: 'POST', headers: { origin: 'https://app.example' }, body: new URLSearchParams({ token: 'x' }) });
    expect(answer).toMatchObject({ origin: '*', credentials: null });
    const preflight = await corsOf(path, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight).toEqual({ status: 204, origin: '*', headers: 'Origin, Accept, X-Requested-With, Content-Type, Authorization', credentials: null });
  });

  it.each(['/auth/token', '/auth/revoke'])('refuses an OPTIONS request to %s that is no preflight as it does at any other view', async (path) => {
    const answer = async (to: string) => {
      const response = await fetch(`${server.baseUrl}${to}`, { method: 'OPTIONS' });
      return { status: response.status, body: await response.text(), origin: response.headers.get('access-control-allow-origin') };
    };
    const elsewhere = await answer('/auth/login_flow');
    expect(elsewhere).toMatchObject({ status: 400, origin: null });
    // The same refusal, with the any-origin header every answer of these views carries.
    expect(await answer(path)).toEqual({ ...elsewhere, origin: '*' });
  });

  it('allows only the configured origins elsewhere (Home Assistant\'s default: the Cast app)', async () => {
    expect((await corsOf('/api/', { headers: { origin: 'https://cast.home-assistant.io' } })).origin).toBe('https://cast.home-assistant.io');
    expect((await corsOf('/api/', { headers: { origin: 'https://app.example' } })).origin).toBeNull();
    expect((await corsOf('/auth/login_flow', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } })).origin).toBeNull();
  });
});
