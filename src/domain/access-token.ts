/**
 * Access tokens exactly as Home Assistant makes them (homeassistant/auth/__init__.py, jwt_wrapper.py):
 * HS256 JWTs `{iss: refresh token id, iat, exp}` signed with that refresh token's own `jwt_key`, used as
 * the ASCII string (not hex-decoded). Validation reads `iss` unverified only to find the key, then
 * verifies signature, issuer and `exp`/`iat` with 10 s of leeway, after refusing tokens over 8192 chars.
 */
import { SignJWT, decodeJwt, jwtVerify } from 'jose';

/** `MAX_TOKEN_SIZE`, homeassistant/auth/jwt_wrapper.py: refused before any parsing. */
export const MAX_TOKEN_SIZE = 8192;
/** Leeway of `async_validate_access_token`, homeassistant/auth/__init__.py. */
export const ACCESS_TOKEN_LEEWAY_S = 10;

const encoder = new TextEncoder();

export async function signAccessToken(refreshTokenId: string, jwtKey: string, nowMs: number, lifetimeS: number) {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ iss: refreshTokenId, iat, exp: iat + lifetimeS })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(encoder.encode(jwtKey));
}

/** The `iss` claim read without verification, or null for anything that is not a JWT of the right size. */
export function unverifiedIssuer(token: string): string | null {
  if (token.length > MAX_TOKEN_SIZE) return null;
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

/** True when `token` is signed with `jwtKey` for `issuer` and current at `nowMs`; never throws. */
export async function verifyAccessToken(token: string, jwtKey: string, issuer: string, nowMs: number): Promise<boolean> {
  try {
    await jwtVerify(token, encoder.encode(jwtKey), {
      algorithms: ['HS256'],
      issuer,
      requiredClaims: ['exp', 'iat'],
      clockTolerance: ACCESS_TOKEN_LEEWAY_S,
      currentDate: new Date(nowMs),
    });
    return true;
  } catch {
    return false;
  }
}
