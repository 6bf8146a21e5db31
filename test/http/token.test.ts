/**
 * POST /auth/token over real HTTP, on both stores (ha-auth-spec §6.1, §6.4-§6.6, §9.2, §13.2):
 * every row of the two grant tables in Home Assistant's order, the success shapes and headers,
 * code lifetime and replay, the sliding 90-day refresh-token expiry, and GET /api/ as the check
 * that an access token works.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { aUser, issueRefreshToken } from '../support/fixtures.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { apiStatus, DAY_MS, decodeJwt, expectTokenError, expectUnauthorized, getApi, HEX_128, HEX_32, issuerOf, newCode, newSession, OTHER_CLIENT_ID, postMultipart, setOwnerActive } from './token-client.js';
import { type IssuedTokens, exchangeCode, onboardOwner, postForm, postJson, refreshGrant } from '../support/http-client.js';

const INVALID_CLIENT_ID = { error: 'invalid_request', error_description: 'Invalid client id' };
const INVALID_CODE = { error: 'invalid_request', error_description: 'Invalid code' };
const INVALID_REQUEST = { error: 'invalid_request' };
const INVALID_GRANT = { error: 'invalid_grant' };
const UNSUPPORTED = { error: 'unsupported_grant_type' };
const NOT_ACTIVE = { error: 'access_denied', error_description: 'User is not active' };

/** Client ids that `verify_client_id` refuses (ha-auth-spec §4.1), one per rule. */
const BAD_CLIENT_IDS = [
  'not a url',
  'ftp://app.example/',
  'https://app.example/#fragment',
  'https://user@app.example/',
  'https://app.example/a/../b',
  'https://app.example:99999/',
  'http://8.8.8.8/',
  'http:///x',
];

/** A 200 of the token endpoint: the no-store headers, and the body. */
async function expectTokens(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/** A Home Assistant access token minted now by this server: HS256, `{iss, iat, exp}` and nothing else, 30 minutes. */
function expectAccessToken(server: TestServer, token: unknown): void {
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const { header, payload } = decodeJwt(token as string);
  expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
  const iat = Math.floor(server.clock.now / 1000);
  expect(payload).toEqual({ iss: expect.stringMatching(HEX_32) as unknown, iat, exp: iat + 1800 });
}

/** Flips the owner inactive for the duration of `body`, and back whatever happens. */
async function whileOwnerInactive(server: TestServer, body: () => Promise<void>): Promise<void> {
  await setOwnerActive(server, false);
  try {
    await body();
  } finally {
    await setOwnerActive(server, true);
  }
}

// One server per store for the suites that leave the clock alone (a server costs a few hundred ms):
// a test that ends a session ends one of its own (`newSession`), never the onboarding one.
describe.each(['sqlite', 'redis'] as const)('POST /auth/token on %s', (kind) => {
  let server: TestServer;
  /** The owner's first session, from onboarding: only ever refreshed, never ended. */
  let first: IssuedTokens;

  beforeAll(async () => {
    server = await startTestServer(kind);
    first = await onboardOwner(server);
  });
  afterAll(async () => {
    await server.close();
  });

  describe('grant_type=authorization_code', () => {
    it('row 1: refuses a missing or invalid client_id before looking at the code, and leaves the code usable', async () => {
      const code = await newCode(server);
      await expectTokenError(await exchangeCode(server, code, null), 400, INVALID_CLIENT_ID);
      await expectTokenError(await exchangeCode(server, null, null), 400, INVALID_CLIENT_ID);
      await expectTokenError(await exchangeCode(server, code, ''), 400, INVALID_CLIENT_ID);
      for (const clientId of BAD_CLIENT_IDS) {
        await expectTokenError(await exchangeCode(server, code, clientId), 400, INVALID_CLIENT_ID);
      }
      await expectTokens(await exchangeCode(server, code));
    });

    it('row 2: refuses a missing code with "Invalid code"', async () => {
      await expectTokenError(await exchangeCode(server, null), 400, INVALID_CODE);
    });

    it('row 3: refuses an unknown code, an empty one, and one that differs only in case', async () => {
      const code = await newCode(server);
      await expectTokenError(await exchangeCode(server, newId()), 400, INVALID_CODE);
      await expectTokenError(await exchangeCode(server, ''), 400, INVALID_CODE);
      await expectTokenError(await exchangeCode(server, code.toUpperCase()), 400, INVALID_CODE);
      await expectTokenError(await exchangeCode(server, `${code} `), 400, INVALID_CODE);
      await expectTokens(await exchangeCode(server, code));
    });

    it('row 3: refuses a code presented by another client_id without consuming it: the right client then redeems it', async () => {
      const code = await newCode(server);
      await expectTokenError(await exchangeCode(server, code, OTHER_CLIENT_ID), 400, INVALID_CODE);
      await expectTokenError(await exchangeCode(server, code, 'http://127.0.0.1:8123'), 400, INVALID_CODE);
      await expectTokens(await exchangeCode(server, code));
    });

    it('row 3: refuses a code issued to another client when the frontend presents it', async () => {
      const code = await newCode(server, OTHER_CLIENT_ID);
      await expectTokenError(await exchangeCode(server, code, CLIENT_ID), 400, INVALID_CODE);
      const body = await expectTokens(await exchangeCode(server, code, OTHER_CLIENT_ID));
      expect(body.refresh_token).toMatch(HEX_128);
    });

    it('row 4: refuses an inactive user with 403 access_denied "User is not active"', async () => {
      const code = await newCode(server);
      await whileOwnerInactive(server, async () => {
        await expectTokenError(await exchangeCode(server, code), 403, NOT_ACTIVE);
      });
    });

    it('success: exactly the five fields, a 30-minute JWT {iss, iat, exp}, a 128-hex refresh token, no-store headers', async () => {
      const code = await newCode(server);
      const body = await expectTokens(await exchangeCode(server, code));
      expect(body).toEqual({
        access_token: expect.any(String) as unknown,
        token_type: 'Bearer',
        refresh_token: expect.stringMatching(HEX_128) as unknown,
        expires_in: 1800,
        ha_auth_provider: 'homeassistant',
      });
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'ha_auth_provider', 'refresh_token', 'token_type']);
      expectAccessToken(server, body.access_token);
      expect(body.refresh_token).not.toBe(first.refresh_token);
      expect(await apiStatus(server, body.access_token as string)).toBe(200);
    });

    it('a code is single use: a replay is "Invalid code" and revokes the refresh token of the first redemption', async () => {
      const code = await newCode(server);
      const tokens = (await expectTokens(await exchangeCode(server, code))) as unknown as IssuedTokens;
      expect(await apiStatus(server, tokens.access_token)).toBe(200);

      await expectTokenError(await exchangeCode(server, code), 400, INVALID_CODE);

      await expectTokenError(await refreshGrant(server, tokens.refresh_token), 400, INVALID_GRANT);
      await expectUnauthorized(await getApi(server, `Bearer ${tokens.access_token}`));
      // Only that session: the onboarding one lives on.
      await expectTokens(await refreshGrant(server, first.refresh_token));
      // A third presentation is still just "Invalid code".
      await expectTokenError(await exchangeCode(server, code), 400, INVALID_CODE);
    });

    it('accepts multipart/form-data bodies (the frontend posts FormData) exactly like form-encoded ones', async () => {
      const code = await newCode(server);
      const fields = { grant_type: 'authorization_code', client_id: CLIENT_ID, code };
      await expectTokenError(await postMultipart(server, '/auth/token', { ...fields, client_id: undefined }), 400, INVALID_CLIENT_ID);
      await expectTokenError(await postMultipart(server, '/auth/token', { ...fields, code: undefined }), 400, INVALID_CODE);
      await expectTokenError(await postMultipart(server, '/auth/token', { ...fields, client_id: OTHER_CLIENT_ID }), 400, INVALID_CODE);
      const body = await expectTokens(await postMultipart(server, '/auth/token', fields));
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'ha_auth_provider', 'refresh_token', 'token_type']);
      expectAccessToken(server, body.access_token);
      await expectTokenError(await postMultipart(server, '/auth/token', fields), 400, INVALID_CODE);
    });
  });

  describe('grant_type=refresh_token', () => {
    it('row 1: refuses a present but invalid client_id, even with a good refresh token', async () => {
      await expectTokenError(await refreshGrant(server, first.refresh_token, ''), 400, INVALID_CLIENT_ID);
      for (const clientId of BAD_CLIENT_IDS) {
        await expectTokenError(await refreshGrant(server, first.refresh_token, clientId), 400, INVALID_CLIENT_ID);
      }
      await expectTokenError(await refreshGrant(server, null, 'not a url'), 400, INVALID_CLIENT_ID);
    });

    it('row 2: refuses a missing refresh_token with a bare invalid_request', async () => {
      await expectTokenError(await refreshGrant(server, null), 400, INVALID_REQUEST);
      await expectTokenError(await refreshGrant(server, null, null), 400, INVALID_REQUEST);
    });

    it('row 3: refuses unknown refresh tokens, near misses of a real one included, with invalid_grant', async () => {
      const secret = first.refresh_token;
      const unknown = ['', 'a'.repeat(128), secret.toUpperCase(), `${secret} `, secret.slice(0, 127), first.access_token, issuerOf(first.access_token)];
      for (const value of unknown) await expectTokenError(await refreshGrant(server, value), 400, INVALID_GRANT);
    });

    it('row 4: refuses a client_id that is not the token\'s own, an absent one included, with a bare invalid_request', async () => {
      await expectTokenError(await refreshGrant(server, first.refresh_token, OTHER_CLIENT_ID), 400, INVALID_REQUEST);
      await expectTokenError(await refreshGrant(server, first.refresh_token, null), 400, INVALID_REQUEST);
      await expectTokenError(await refreshGrant(server, first.refresh_token, 'http://127.0.0.1:8123'), 400, INVALID_REQUEST);
      await expectTokens(await refreshGrant(server, first.refresh_token));
    });

    it('row 4: a token without a client (system) is refreshed only by omitting client_id', async () => {
      const system = aUser({ systemGenerated: true, groupIds: [] });
      await server.store.users.createUser(system);
      const token = await issueRefreshToken(server.store, system.id, server.clock.now, { clientId: null, tokenType: 'system' });
      await expectTokenError(await refreshGrant(server, token.secret, CLIENT_ID), 400, INVALID_REQUEST);
      const body = await expectTokens(await refreshGrant(server, token.secret, null));
      expect(issuerOf(body.access_token as string)).toBe(token.id);
    });

    it('row 5: refuses an inactive user with 403 access_denied; its access tokens stop working too', async () => {
      await whileOwnerInactive(server, async () => {
        await expectTokenError(await refreshGrant(server, first.refresh_token), 403, NOT_ACTIVE);
        await expectUnauthorized(await getApi(server, `Bearer ${first.access_token}`));
      });
      await expectTokens(await refreshGrant(server, first.refresh_token));
    });

    it('success: exactly {access_token, token_type, expires_in}, no refresh_token (no rotation), no-store headers', async () => {
      const body = await expectTokens(await refreshGrant(server, first.refresh_token));
      expect(body).toEqual({ access_token: expect.any(String) as unknown, token_type: 'Bearer', expires_in: 1800 });
      expectAccessToken(server, body.access_token);
      expect(issuerOf(body.access_token as string)).toBe(issuerOf(first.access_token));
      expect(await apiStatus(server, body.access_token as string)).toBe(200);
      // The same refresh token keeps working, and the older access token too.
      await expectTokens(await refreshGrant(server, first.refresh_token));
      expect(await apiStatus(server, first.access_token)).toBe(200);
    });

    it('accepts multipart/form-data bodies exactly like form-encoded ones', async () => {
      const fields = { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: first.refresh_token };
      await expectTokenError(await postMultipart(server, '/auth/token', { ...fields, refresh_token: undefined }), 400, INVALID_REQUEST);
      await expectTokenError(await postMultipart(server, '/auth/token', { ...fields, client_id: undefined }), 400, INVALID_REQUEST);
      await expectTokenError(await postMultipart(server, '/auth/token', { ...fields, refresh_token: 'f'.repeat(128) }), 400, INVALID_GRANT);
      const body = await expectTokens(await postMultipart(server, '/auth/token', fields));
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    });

    it('access tokens of a revoked refresh token stop working at once', async () => {
      const session = await newSession(server);
      const minted = (await expectTokens(await refreshGrant(server, session.refresh_token))) as { access_token: string };
      expect(await apiStatus(server, minted.access_token)).toBe(200);
      await postForm(server, '/auth/revoke', { token: session.refresh_token });
      expect(await apiStatus(server, minted.access_token)).toBe(401);
      expect(await apiStatus(server, session.access_token)).toBe(401);
      await expectTokenError(await refreshGrant(server, session.refresh_token), 400, INVALID_GRANT);
      expect(await apiStatus(server, first.access_token)).toBe(200);
    });
  });

  describe('grant dispatch', () => {
    it('refuses an unknown or missing grant_type with unsupported_grant_type', async () => {
      for (const grantType of ['password', 'client_credentials', 'Authorization_Code', 'refresh_token ', '', undefined]) {
        await expectTokenError(await postForm(server, '/auth/token', { grant_type: grantType, client_id: CLIENT_ID, refresh_token: first.refresh_token }), 400, UNSUPPORTED);
      }
    });

    it('reads a JSON body as an empty form: unsupported_grant_type, whatever it holds', async () => {
      const code = await newCode(server);
      await expectTokenError(await postJson(server, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code }), 400, UNSUPPORTED);
      await expectTokenError(await postJson(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: first.refresh_token }), 400, UNSUPPORTED);
      // Neither the code nor the token was touched.
      await expectTokens(await exchangeCode(server, code));
    });

    it('takes the first of repeated fields, as aiohttp\'s MultiDict.get', async () => {
      const body = `grant_type=refresh_token&grant_type=authorization_code&client_id=${encodeURIComponent(CLIENT_ID)}`;
      const response = await fetch(`${server.baseUrl}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      await expectTokenError(response, 400, INVALID_REQUEST);
      const secret = encodeURIComponent(first.refresh_token);
      const twice = `grant_type=refresh_token&refresh_token=${secret}&refresh_token=x&client_id=${encodeURIComponent(CLIENT_ID)}&client_id=x`;
      const ok = await fetch(`${server.baseUrl}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: twice });
      expect((await expectTokens(ok)).token_type).toBe('Bearer');
    });
  });

  describe('GET /api/', () => {
    it('answers 200 {"message": "API running."} to a good Bearer token', async () => {
      const response = await getApi(server, `Bearer ${first.access_token}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ message: 'API running.' });
    });

    it('answers 401 "401: Unauthorized" without a token, with a bad one, or with another scheme', async () => {
      const [head, payload] = first.access_token.split('.');
      const headers = [
        undefined,
        'Bearer',
        'Bearer x',
        `bearer ${first.access_token}`,
        `Token ${first.access_token}`,
        first.access_token,
        `Bearer ${first.access_token}x`,
        `Bearer ${head}.${payload}.`,
        `Bearer ${first.refresh_token}`,
        `Bearer  ${first.access_token}`,
        `Bearer ${first.access_token}${'A'.repeat(8193 - first.access_token.length)}`,
      ];
      for (const authorization of headers) await expectUnauthorized(await getApi(server, authorization));
    });
  });
});

describe.each(['sqlite', 'redis'] as const)('refresh token inactivity on %s (90 days, sliding; the clock moves)', (kind) => {
  let server: TestServer;
  let first: IssuedTokens;

  beforeEach(async () => {
    server = await startTestServer(kind);
    first = await onboardOwner(server);
  });
  afterEach(async () => {
    await server.close();
  });

  it('a refresh at day 89 works and slides the expiry: at day 178 the token still works', async () => {
    const start = server.clock.now;
    server.clock.now = start + 89 * DAY_MS;
    await expectTokens(await refreshGrant(server, first.refresh_token));
    server.clock.now = start + 178 * DAY_MS;
    const body = await expectTokens(await refreshGrant(server, first.refresh_token));
    expect(await apiStatus(server, body.access_token as string)).toBe(200);
  });

  it('a token unused for 90 days is refused at lookup with invalid_grant, though nothing swept it', async () => {
    const start = server.clock.now;
    const other = await newSession(server);
    const id = issuerOf(first.access_token);
    server.clock.now = start + 90 * DAY_MS - 1;
    // Just inside the window a refresh works (and slides that other session).
    await expectTokens(await refreshGrant(server, other.refresh_token));
    server.clock.now = start + 90 * DAY_MS;
    expect(await server.store.refreshTokens.load(id)).not.toBeNull();
    await expectTokenError(await refreshGrant(server, first.refresh_token), 400, INVALID_GRANT);
    await expectTokenError(await refreshGrant(server, first.refresh_token), 400, INVALID_GRANT);
    await expectTokens(await refreshGrant(server, other.refresh_token));
  });
});

// On SQLite the grant's TTL runs on the test clock too; on Redis it runs on real time (10 minutes that
// never pass here), so there the grant machine's own `now - issuedAt < 10 min` check alone decides.
describe.each(['sqlite', 'redis'] as const)('authorization code lifetime on %s (the clock moves)', (kind) => {
  let server: TestServer;

  beforeEach(async () => {
    server = await startTestServer(kind);
    await onboardOwner(server);
  });
  afterEach(async () => {
    await server.close();
  });

  it('redeems a code at 9:59.999', async () => {
    const code = await newCode(server);
    server.clock.now += 10 * 60_000 - 1;
    const response = await exchangeCode(server, code);
    expect(response.status).toBe(200);
    expectAccessToken(server, ((await response.json()) as IssuedTokens).access_token);
  });

  it('refuses a code at 10:00 with "Invalid code"', async () => {
    const code = await newCode(server);
    server.clock.now += 10 * 60_000;
    await expectTokenError(await exchangeCode(server, code), 400, INVALID_CODE);
  });
});
