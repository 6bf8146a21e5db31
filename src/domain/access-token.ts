/**
 * Access tokens exactly as Home Assistant makes them (homeassistant/auth/__init__.py, jwt_wrapper.py):
 * HS256 JWTs `{iss: refresh token id, iat, exp}` signed with that refresh token's own `jwt_key`, used as
 * the ASCII string (not hex-decoded). Validation reads `iss` unverified only to find the key, then
 * verifies signature, issuer and `exp`/`iat` with 10 s of leeway, after refusing tokens over 8192 chars.
 *
 * fast-jwt rather than jose: with a key per token, neither can reuse a prepared key, and fast-jwt
 * signs or verifies in about 9 µs where jose takes about 75 (bench/jwt-signing.ts), on every refresh
 * grant and every Bearer request. Both produce the same bytes for these claims (checked there too).
 */
import { createDecoder, createSigner, createVerifier } from 'fast-jwt';

/** `MAX_TOKEN_SIZE`, homeassistant/auth/jwt_wrapper.py: refused before any parsing. */
export const MAX_TOKEN_SIZE = 8192;
/** Leeway of `async_validate_access_token`, homeassistant/auth/__init__.py. */
export const ACCESS_TOKEN_LEEWAY_S = 10;

const decodePayload = createDecoder();

export async function signAccessToken(refreshTokenId: string, jwtKey: string, nowMs: number, lifetimeS: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  // The claims in this order, and `iat` as given: fast-jwt keeps a payload's own `iat`.
  return createSigner({ key: jwtKey, algorithm: 'HS256' })({ iss: refreshTokenId, iat, exp: iat + lifetimeS });
}

/** The `iss` claim read without verification, or null for anything that is not a JWT of the right size. */
export function unverifiedIssuer(token: string): string | null {
  if (token.length > MAX_TOKEN_SIZE) return null;
  try {
    const { iss } = decodePayload(token) as { iss?: unknown };
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

/** True when `token` is signed with `jwtKey` for `issuer` and current at `nowMs`; never throws. */
export async function verifyAccessToken(token: string, jwtKey: string, issuer: string, nowMs: number): Promise<boolean> {
  try {
    const claims = createVerifier({
      key: jwtKey,
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'iat'],
      clockTimestamp: nowMs,
      clockTolerance: ACCESS_TOKEN_LEEWAY_S * 1000,
      // Judged below: fast-jwt still accepts a token at `exp + leeway` to the millisecond, PyJWT does not.
      ignoreExpiration: true,
      cache: false,
    })(token) as { iss?: unknown; iat?: unknown; exp?: unknown };
    // PyJWT (`_validate_exp`): expired when `exp <= now - leeway`; `iat` and `exp` must be numbers.
    const { iss, iat, exp } = claims;
    return iss === issuer && typeof iat === 'number' && typeof exp === 'number' && exp > nowMs / 1000 - ACCESS_TOKEN_LEEWAY_S;
  } catch {
    return false;
  }
}
