/** Home Assistant's creation rules for refresh tokens (`async_create_refresh_token`), with its exact messages. */
import { beforeEach, describe, expect, it } from 'vitest';
import { CodedError } from '../../../src/domain/errors.js';
import { refreshTokenService, type RefreshTokenService } from '../../../src/services/tokens/refresh-tokens.js';
import { openSqliteStore } from '../../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../../src/stores/types.js';
import { aUser } from '../../support/fixtures.js';
import { silentLogger } from '../../support/logger.js';

describe('refresh token creation rules', () => {
  let store: Store;
  let tokens: RefreshTokenService;
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    store = openSqliteStore({ dataDir: ':memory:', clock: () => now });
    tokens = refreshTokenService(store, () => now, silentLogger(), '2025.6.3');
  });

  it('gives a normal token a 128-hex secret, a 90-day expiry, the creating version and its first use', async () => {
    const { id, secret, token, accessToken } = await tokens.create(aUser(), { clientId: 'https://app.example/', ip: '192.168.1.20' });
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(secret).toMatch(/^[0-9a-f]{128}$/);
    expect(token).toMatchObject({ tokenType: 'normal', expireAt: now + 90 * 86_400_000, version: '2025.6.3', accessTokenExpirationS: 1800 });
    expect(token).toMatchObject({ lastUsedAt: now, lastUsedIp: '192.168.1.20' });
    const claims = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()) as Record<string, number | string>;
    expect(claims).toEqual({ iss: id, iat: now / 1000, exp: now / 1000 + 1800 });
    expect((await tokens.findBySecret(secret))?.id).toBe(id);
  });

  it.each([
    [aUser({ isActive: false }), { clientId: 'https://app.example/', ip: null }, 'User is not active'],
    [aUser({ systemGenerated: true }), { clientId: 'https://app.example/', ip: null }, 'System generated users cannot have refresh tokens connected to a client.'],
    [aUser({ systemGenerated: true }), { clientId: null, ip: null, tokenType: 'normal' as const }, 'System generated users can only have system type refresh tokens'],
    [aUser(), { clientId: null, ip: null, tokenType: 'system' as const }, 'System generated users can only have system type refresh tokens'],
    [aUser(), { clientId: null, ip: null }, 'Client is required to generate a refresh token.'],
    [aUser(), { clientId: null, ip: null, tokenType: 'long_lived_access_token' as const }, 'Client_name is required for long-lived access token'],
  ])('refuses %#: %s', async (user, request, message) => {
    const refusal = tokens.create(user, request);
    await expect(refusal).rejects.toBeInstanceOf(CodedError);
    await expect(refusal).rejects.toThrow(message);
  });

  it('makes a system token for a system user when no type is given, without expiry', async () => {
    const { token } = await tokens.create(aUser({ systemGenerated: true }), { clientId: null, ip: null });
    expect(token).toMatchObject({ tokenType: 'system', expireAt: null });
  });

  it('refuses a second long-lived token of the same name for the same user, not for another user', async () => {
    const user = aUser();
    const llat = { clientId: null, ip: null, tokenType: 'long_lived_access_token' as const, clientName: 'GPS Logger', accessTokenExpirationS: 86_400 };
    const { token } = await tokens.create(user, llat);
    expect(token.expireAt).toBeNull();
    await expect(tokens.create(user, llat)).rejects.toThrow('GPS Logger already exists');
    await expect(tokens.create(aUser(), llat)).resolves.toMatchObject({ token: { clientName: 'GPS Logger' } });
  });

  it('ends a token found past its expiry at lookup, and tells every instance', async () => {
    const heard: string[] = [];
    store.revocations.subscribe((id) => heard.push(id));
    const { id, secret } = await tokens.create(aUser(), { clientId: 'https://app.example/', ip: null });
    now += 90 * 86_400_000;
    expect(await tokens.findBySecret(secret)).toBeNull();
    expect(heard).toEqual([id]);
    expect(await tokens.listForUser((await store.refreshTokens.load(id)) === null ? '' : 'nobody')).toEqual([]);
  });

  it('slides a normal token on use and refuses to mint once revoked', async () => {
    const user = aUser();
    const { id } = await tokens.create(user, { clientId: 'https://app.example/', ip: null });
    now += 1000;
    expect(await tokens.mintAccessToken(id, '192.168.1.20')).toMatch(/^ey/);
    const [listed] = await tokens.listForUser(user.id);
    expect(listed).toMatchObject({ lastUsedAt: now, lastUsedIp: '192.168.1.20', expireAt: now + 90 * 86_400_000 });
    await tokens.revoke(id, 'revoked');
    expect(await tokens.mintAccessToken(id, null)).toBeNull();
    expect(await tokens.listForUser(user.id)).toEqual([]);
  });
});
