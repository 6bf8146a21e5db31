/**
 * PKCE (RFC 7636, S256) on the real server, both stores: optional for Home Assistant's clients, and
 * binding when a login sends a challenge; a verifier for a code issued without one is refused.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type TestServer } from '../support/test-server.js';
import { INVALID_CODE } from './http-helpers.js';
import { exchangeCode, onboardOwner, postJson } from '../support/http-client.js';

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const INVALID_VERIFIER = { error: 'invalid_grant', error_description: 'Invalid code verifier' };

describe.each(['sqlite', 'redis'] as const)('PKCE (%s)', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(kind);
    await onboardOwner(server);
  });
  afterEach(() => server.close());

  async function codeOf(extra: Record<string, string>): Promise<string> {
    const started = await postJson(server, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI, ...extra });
    const { flow_id: flowId } = (await started.json()) as { flow_id: string };
    const done = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, username: 'alice', password: 'secret-password' });
    return ((await done.json()) as { result: string }).result;
  }
  const exchange = async (code: string, verifier?: string) => {
    const response =
      verifier === undefined
        ? await exchangeCode(server, code)
        : await fetch(`${server.baseUrl}/auth/token`, {
            method: 'POST',
            body: new URLSearchParams({ grant_type: 'authorization_code', client_id: CLIENT_ID, code, code_verifier: verifier }),
          });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('binds the code to the challenge: no verifier or a wrong one is refused, and the code stays good for the right one', async () => {
    const code = await codeOf({ code_challenge: CHALLENGE, code_challenge_method: 'S256' });
    expect(await exchange(code)).toEqual({ status: 400, body: INVALID_VERIFIER });
    expect(await exchange(code, 'x'.repeat(43))).toEqual({ status: 400, body: INVALID_VERIFIER });
    expect(await exchange(code, 'short')).toEqual({ status: 400, body: INVALID_VERIFIER });
    const granted = await exchange(code, VERIFIER);
    expect(granted.status).toBe(200);
    expect(granted.body).toEqual(expect.objectContaining({ token_type: 'Bearer', ha_auth_provider: 'homeassistant' }));
    expect(await exchange(code, VERIFIER)).toEqual({ status: 400, body: INVALID_CODE });
  });

  it('keeps PKCE optional for clients that send no challenge, and refuses a verifier they did not announce', async () => {
    expect((await exchange(await codeOf({}))).status).toBe(200);
    const code = await codeOf({});
    expect(await exchange(code, VERIFIER)).toEqual({ status: 400, body: INVALID_VERIFIER });
  });

  it.each([
    ['the plain method', { code_challenge: VERIFIER, code_challenge_method: 'plain' }],
    ['a challenge without its method (plain by default)', { code_challenge: CHALLENGE }],
    ['a method without a challenge', { code_challenge_method: 'S256' }],
    ['a challenge that is no S256 digest', { code_challenge: 'abc', code_challenge_method: 'S256' }],
  ])('refuses to start a flow with %s', async (_, extra) => {
    const started = await postJson(server, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI, ...extra });
    expect(started.status).toBe(400);
    expect(await started.json()).toEqual({ message: 'Invalid code challenge' });
  });
});
