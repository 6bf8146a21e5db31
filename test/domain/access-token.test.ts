/**
 * Access tokens as Home Assistant signs and checks them (homeassistant/auth/__init__.py with PyJWT):
 * the exact bytes PyJWT produces for `{iss, iat, exp}` (header `{"alg":"HS256","typ":"JWT"}`, compact
 * JSON, HMAC-SHA256 keyed with the jwt_key string), and PyJWT's verdicts at the edges of the leeway.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_LEEWAY_S, MAX_TOKEN_SIZE, signAccessToken, unverifiedIssuer, verifyAccessToken } from '../../src/domain/access-token.js';

const ISSUER = '0123456789abcdef0123456789abcdef';
const KEY = 'ab'.repeat(64);
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0, 400);
const IAT = Math.floor(NOW / 1000);

const segment = (json: string) => Buffer.from(json).toString('base64url');

/** What PyJWT's `jwt.encode(payload, key, algorithm="HS256")` returns. */
function pyjwtToken(payload: string, key = KEY, header = '{"alg":"HS256","typ":"JWT"}'): string {
  const unsigned = `${segment(header)}.${segment(payload)}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

describe('access tokens', () => {
  it('are the bytes PyJWT signs for {iss, iat, exp}', async () => {
    const token = await signAccessToken(ISSUER, KEY, NOW, 1800);
    expect(token).toBe(pyjwtToken(`{"iss":"${ISSUER}","iat":${IAT},"exp":${IAT + 1800}}`));
    expect(unverifiedIssuer(token)).toBe(ISSUER);
  });

  it('verify until exp + leeway, and not from then on (PyJWT: expired when exp <= now - leeway)', async () => {
    const token = await signAccessToken(ISSUER, KEY, NOW, 1800);
    const end = (IAT + 1800 + ACCESS_TOKEN_LEEWAY_S) * 1000;
    expect(await verifyAccessToken(token, KEY, ISSUER, NOW)).toBe(true);
    expect(await verifyAccessToken(token, KEY, ISSUER, end - 1)).toBe(true);
    expect(await verifyAccessToken(token, KEY, ISSUER, end)).toBe(false);
  });

  it('refuse another key, another issuer, a missing claim, a claim of the wrong type and an unsigned token', async () => {
    const token = await signAccessToken(ISSUER, KEY, NOW, 1800);
    expect(await verifyAccessToken(token, 'another key', ISSUER, NOW)).toBe(false);
    expect(await verifyAccessToken(token, KEY, 'f'.repeat(32), NOW)).toBe(false);
    const noIat = pyjwtToken(`{"iss":"${ISSUER}","exp":${IAT + 1800}}`);
    const textIat = pyjwtToken(`{"iss":"${ISSUER}","iat":"${IAT}","exp":${IAT + 1800}}`);
    const noExp = pyjwtToken(`{"iss":"${ISSUER}","iat":${IAT}}`);
    for (const forged of [noIat, textIat, noExp]) expect(await verifyAccessToken(forged, KEY, ISSUER, NOW)).toBe(false);
    const unsigned = `${segment('{"alg":"none","typ":"JWT"}')}.${segment(`{"iss":"${ISSUER}","iat":${IAT},"exp":${IAT + 1800}}`)}.`;
    expect(await verifyAccessToken(unsigned, KEY, ISSUER, NOW)).toBe(false);
    expect(unverifiedIssuer(unsigned)).toBe(ISSUER);
  });

  it('refuse a token not yet valid (PyJWT: when nbf > now + leeway) and a non-numeric nbf, whatever time the key was last used at', async () => {
    const claims = (nbf: string) => pyjwtToken(`{"iss":"${ISSUER}","iat":${IAT},"exp":${IAT + 1800},"nbf":${nbf}}`);
    // The key was used at NOW first: what is prepared for it holds no time.
    expect(await verifyAccessToken(await signAccessToken(ISSUER, KEY, NOW, 1800), KEY, ISSUER, NOW)).toBe(true);
    expect(await verifyAccessToken(claims(`${IAT + ACCESS_TOKEN_LEEWAY_S}`), KEY, ISSUER, NOW)).toBe(true);
    expect(await verifyAccessToken(claims(`${IAT + ACCESS_TOKEN_LEEWAY_S + 1}`), KEY, ISSUER, NOW)).toBe(false);
    expect(await verifyAccessToken(claims(`${IAT + ACCESS_TOKEN_LEEWAY_S + 1}`), KEY, ISSUER, NOW + 2_000)).toBe(true);
    expect(await verifyAccessToken(claims(`"${IAT}"`), KEY, ISSUER, NOW)).toBe(false);
  });

  it('judge a token verified before as a new one: its time claims at every use, under its own key and issuer only', async () => {
    const key = 'cd'.repeat(64);
    const token = await signAccessToken(ISSUER, key, NOW, 1800);
    expect(await verifyAccessToken(token, key, ISSUER, NOW)).toBe(true);
    expect(unverifiedIssuer(token)).toBe(ISSUER);
    expect(await verifyAccessToken(token, KEY, ISSUER, NOW)).toBe(false);
    expect(await verifyAccessToken(token, key, 'f'.repeat(32), NOW)).toBe(false);
    expect(await verifyAccessToken(token, key, ISSUER, (IAT + 1800 + ACCESS_TOKEN_LEEWAY_S) * 1000)).toBe(false);
    expect(await verifyAccessToken(token, key, ISSUER, NOW)).toBe(true);
    // Verified once with a non-string issuer: still none to read.
    const numericIssuer = pyjwtToken(`{"iss":7,"iat":${IAT},"exp":${IAT + 1800}}`, key);
    expect(await verifyAccessToken(numericIssuer, key, '7', NOW)).toBe(false);
    expect(unverifiedIssuer(numericIssuer)).toBeNull();
  });

  it('read no issuer from what is not a JWT of at most MAX_TOKEN_SIZE characters', async () => {
    const token = await signAccessToken(ISSUER, KEY, NOW, 1800);
    expect(unverifiedIssuer('not a token')).toBeNull();
    expect(unverifiedIssuer(`${segment('[]')}.${segment('{}')}.`)).toBeNull();
    expect(unverifiedIssuer(token + 'x'.repeat(MAX_TOKEN_SIZE))).toBeNull();
  });
});
