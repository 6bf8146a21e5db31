/** `?authSig=` signed paths on protected views (ha-auth-spec §13), against the real server. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signAccessToken } from '../../src/domain/access-token.js';
import { refreshTokenService } from '../../src/services/tokens/refresh-tokens.js';
import { signedPathService, type SignedPathService } from '../../src/services/tokens/signed-paths.js';
import { StoreUnavailableError } from '../../src/stores/types.js';
import { aUser, issueRefreshToken } from '../support/fixtures.js';
import { silentLogger } from '../support/logger.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe.each(['sqlite', 'redis'] as const)('signed paths (%s store)', (kind) => {
  let server: TestServer;
  let signer: SignedPathService;
  let refresh: Awaited<ReturnType<typeof issueRefreshToken>>;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${server.baseUrl}${path}`, { headers });

  beforeEach(async () => {
    server = await startTestServer(kind);
    // Another instance's signer: only the store is shared.
    signer = signedPathService(server.store, () => server.clock.now, silentLogger());
    const user = aUser();
    await server.store.users.createUser(user);
    refresh = await issueRefreshToken(server.store, user.id, server.clock.now);
  });
  afterEach(() => server.close());

  it('accepts a GET of the signed path, with Home Assistant\'s claims in the signature', async () => {
    const signed = await signer.sign('/api/', 30, refresh.id);
    expect(signed).toMatch(/^\/api\/\?authSig=[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(signed.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    const iat = Math.floor(server.clock.now / 1000);
    expect(claims).toEqual({ iss: refresh.id, path: '/api/', params: [], iat, exp: iat + 30 });
    const response = await get(signed);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: 'API running.' });
  });

  it('binds the query parameters, in order, except height and width', async () => {
    const signed = await signer.sign('/api/?token=abc&b=2', 30, refresh.id);
    expect((await get(signed)).status).toBe(200);
    expect((await get(`${signed}&height=100&width=200`)).status).toBe(200);
    expect((await get(signed.replace('token=abc', 'token=abd'))).status).toBe(401);
    expect((await get(signed.replace('token=abc&b=2', 'b=2&token=abc'))).status).toBe(401);
    expect((await get(`${signed}&extra=1`)).status).toBe(401);
  });

  it('refuses another path, an expired signature, and a signature from another secret', async () => {
    const signed = await signer.sign('/api/other', 30, refresh.id);
    expect((await get(signed.replace('/api/other', '/api/'))).status).toBe(401);
    const good = await signer.sign('/api/', 30, refresh.id);
    server.clock.now += 30_000;
    expect((await get(good)).status).toBe(401);
    const forged = await signAccessToken(refresh.id, 'not the secret', server.clock.now, 30);
    expect((await get(`/api/?authSig=${forged}`)).status).toBe(401);
  });

  it('answers 503 while the store cannot be reached, rather than calling a good signature bad', async () => {
    const signed = await signer.sign('/api/', 30, refresh.id);
    vi.spyOn(server.store.secrets, 'getOrCreate').mockRejectedValue(new StoreUnavailableError('Redis is unavailable'));
    const response = await get(signed);
    expect([response.status, await response.json()]).toEqual([503, { message: 'Service unavailable: the store cannot be reached' }]);
  });

  it('dies with the signer\'s refresh token', async () => {
    const signed = await signer.sign('/api/', 30, refresh.id);
    await refreshTokenService(server.store, () => server.clock.now, silentLogger(), 'test').revoke(refresh.id, 'revoked');
    expect((await get(signed)).status).toBe(401);
  });

  it('never falls through to the signature when an Authorization header is present', async () => {
    const signed = await signer.sign('/api/', 30, refresh.id);
    expect((await get(signed, { authorization: 'Bearer not-a-token' })).status).toBe(401);
    expect((await get(signed, { authorization: 'Basic abc' })).status).toBe(401);
  });
});
