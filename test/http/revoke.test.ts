/**
 * Revocation over real HTTP, on both stores (ha-auth-spec §6.2, §6.7): `POST /auth/revoke` and the
 * deprecated `POST /auth/token` with `action=revoke` always answer 200 with an empty body; a known
 * refresh token dies at once for refresh and for its access tokens, anything else changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { apiStatus, expectEmpty200, expectTokenError, issuerOf, newSession, postMultipart, theOwner } from './token-client.js';
import { type IssuedTokens, onboardOwner, postForm, refreshGrant } from '../support/http-client.js';

/** The two ways to revoke: the endpoint, and the legacy action of the token endpoint. */
const WAYS = [
  { way: 'POST /auth/revoke', path: '/auth/revoke', fields: {} },
  { way: 'POST /auth/token action=revoke', path: '/auth/token', fields: { action: 'revoke' } },
] as const;

describe.each(['sqlite', 'redis'] as const)('revocation on %s', (kind) => {
  let server: TestServer;
  /** The onboarding session: never revoked, it shows that a revocation ends one session only. */
  let bystander: IssuedTokens;

  beforeAll(async () => {
    server = await startTestServer(kind);
    bystander = await onboardOwner(server);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Every stored refresh token of the owner, envelopes included: what "nothing changes" compares. */
  async function storedTokens() {
    const owner = await theOwner(server);
    const tokens = await server.store.refreshTokens.listByUser(owner.id);
    return tokens.sort((a, b) => a.id.localeCompare(b.id));
  }

  async function expectAlive(session: IssuedTokens): Promise<void> {
    expect(await apiStatus(server, session.access_token)).toBe(200);
    expect((await refreshGrant(server, session.refresh_token)).status).toBe(200);
  }

  async function expectDead(session: IssuedTokens): Promise<void> {
    await expectTokenError(await refreshGrant(server, session.refresh_token), 400, { error: 'invalid_grant' });
    expect(await apiStatus(server, session.access_token)).toBe(401);
  }

  describe.each(WAYS)('$way', ({ path, fields }) => {
    const revoke = (token: string | null, extra: Record<string, string> = {}) => postForm(server, path, { ...fields, ...extra, token });

    it('revokes a refresh token: 200 with an empty body, then refresh is invalid_grant and its access tokens get 401', async () => {
      const session = await newSession(server);
      const minted = (await (await refreshGrant(server, session.refresh_token)).json()) as { access_token: string };
      await expectAlive(session);

      const response = await revoke(session.refresh_token);
      await expectEmpty200(response);
      expect(response.headers.get('cache-control')).toBeNull();

      await expectDead(session);
      expect(await apiStatus(server, minted.access_token)).toBe(401);
      await expectAlive(bystander);
    });

    it('answers 200 empty to an unknown token, a missing one, or an access token, and changes nothing', async () => {
      const session = await newSession(server);
      const before = await storedTokens();
      const notRefreshTokens = [
        null,
        '',
        'f'.repeat(128),
        session.refresh_token.toUpperCase(),
        `${session.refresh_token} `,
        session.refresh_token.slice(1),
        session.access_token,
        issuerOf(session.access_token),
      ];
      for (const token of notRefreshTokens) await expectEmpty200(await revoke(token));
      // A refresh token in another field is no revocation either.
      await expectEmpty200(await postForm(server, path, { ...fields, refresh_token: session.refresh_token }));
      expect(await storedTokens()).toEqual(before);
      await expectAlive(session);
    });

    it('is idempotent: revoking twice answers 200 empty both times', async () => {
      const session = await newSession(server);
      await expectEmpty200(await revoke(session.refresh_token));
      await expectEmpty200(await revoke(session.refresh_token));
      await expectDead(session);
      await expectAlive(bystander);
    });

    it('ignores token_type_hint and client_id: a refresh token is revoked whatever they say', async () => {
      const session = await newSession(server);
      await expectEmpty200(await revoke(session.refresh_token, { token_type_hint: 'access_token', client_id: 'https://other.example/' }));
      await expectDead(session);
    });

    it('accepts multipart/form-data (FormData) like a form-encoded body', async () => {
      const session = await newSession(server);
      await expectEmpty200(await postMultipart(server, path, { ...fields, token: session.refresh_token }));
      await expectDead(session);
    });
  });

  describe('POST /auth/token action=revoke', () => {
    it('is checked before grant_type: a body with both revokes and issues nothing', async () => {
      const session = await newSession(server);
      const response = await postForm(server, '/auth/token', {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        refresh_token: session.refresh_token,
        action: 'revoke',
        token: session.refresh_token,
      });
      await expectEmpty200(response);
      await expectDead(session);
    });

    it('needs action to be exactly "revoke": anything else is a grant request', async () => {
      const session = await newSession(server);
      for (const action of ['Revoke', 'revoke ', 'delete', '']) {
        await expectTokenError(await postForm(server, '/auth/token', { action, token: session.refresh_token }), 400, { error: 'unsupported_grant_type' });
      }
      await expectAlive(session);
    });

    it('reads a JSON body as an empty form: unsupported_grant_type, and nothing is revoked', async () => {
      const session = await newSession(server);
      const response = await fetch(`${server.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'revoke', token: session.refresh_token }),
      });
      await expectTokenError(response, 400, { error: 'unsupported_grant_type' });
      await expectAlive(session);
    });
  });

  describe('POST /auth/revoke', () => {
    it('reads a JSON body as an empty form: 200 empty, and nothing is revoked', async () => {
      const session = await newSession(server);
      const response = await fetch(`${server.baseUrl}/auth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: session.refresh_token }),
      });
      await expectEmpty200(response);
      await expectAlive(session);
    });

    it('answers 200 empty to a request without a body', async () => {
      await expectEmpty200(await fetch(`${server.baseUrl}/auth/revoke`, { method: 'POST' }));
      await expectAlive(bystander);
    });
  });
});
