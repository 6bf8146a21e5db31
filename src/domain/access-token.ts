/**
 * Access tokens exactly as Home Assistant makes them (homeassistant/auth/__init__.py, jwt_wrapper.py):
 * HS256 JWTs `{iss: refresh token id, iat, exp}` signed with that refresh token's own `jwt_key`, used as
 * the ASCII string (not hex-decoded). Validation reads `iss` unverified only to find the key, then
 * verifies signature, issuer and `exp`/`iat` with 10 s of leeway, after refusing tokens over 8192 chars.
 *
 * fast-jwt rather than jose: fast-jwt signs or verifies in about 9 µs where jose takes about 75
 * (bench/jwt-signing.ts), on every refresh grant and every Bearer request. Both produce the same
 * bytes for these claims (checked there too). Preparing a key (fast-jwt's options checked, a
 * KeyObject made) cost about as much again, on every call: each process keeps the signer and the
 * verifier of the keys it used lately, since a token's key serves every refresh and Bearer request
 * of its session. Neither depends on the time, so that a prepared verifier serves any `now`: the
 * time claims are judged here, as PyJWT judges them.
 *
 * A Bearer token is presented again and again for its half hour: each process also remembers the
 * tokens it verified lately, with the key each was verified under and its claims. Checking a
 * signature is a pure function of the token and the key, so a remembered verdict is the one a new
 * check would give; the time claims are still judged at every use, and the session behind the token
 * is still read from the store at every use (services/tokens/access-tokens.ts), so that a revoked
 * token or a deactivated user gets no further than before. It saves the two decodes and the HMAC.
 */
import { createDecoder, createSigner, createVerifier } from 'fast-jwt';
import { BoundedMap } from './bounded-map.js';

/** `MAX_TOKEN_SIZE`, homeassistant/auth/jwt_wrapper.py: refused before any parsing. */
export const MAX_TOKEN_SIZE = 8192;
/** Leeway of `async_validate_access_token`, homeassistant/auth/__init__.py. */
export const ACCESS_TOKEN_LEEWAY_S = 10;

const decodePayload = createDecoder();

/** Keys whose signer and verifier a process keeps: a few MB at most. */
const PREPARED_KEYS = 4096;

/** Tokens whose verdict a process keeps: a few MB at most. */
const VERIFIED_TOKENS = 4096;

type Claims = { iss?: unknown; iat?: unknown; exp?: unknown; nbf?: unknown };
const signers = new BoundedMap<string, (claims: Claims) => string>(PREPARED_KEYS);
const verifiers = new BoundedMap<string, (token: string) => Claims>(PREPARED_KEYS);
/** Token → the key its signature was verified with, and its claims; only tokens whose signature held. */
const verified = new BoundedMap<string, { jwtKey: string; claims: Claims }>(VERIFIED_TOKENS);

function signerOf(jwtKey: string): (claims: Claims) => string {
  return signers.get(jwtKey) ?? signers.set(jwtKey, createSigner({ key: jwtKey, algorithm: 'HS256' }));
}

function verifierOf(jwtKey: string): (token: string) => Claims {
  const made = () =>
    createVerifier({
      key: jwtKey,
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'iat'],
      // Judged below: fast-jwt would read the clock when the verifier was made, and still accepts a
      // token at `exp + leeway` to the millisecond, where PyJWT does not.
      ignoreExpiration: true,
      ignoreNotBefore: true,
      cache: false,
    });
  return verifiers.get(jwtKey) ?? verifiers.set(jwtKey, made());
}

export async function signAccessToken(refreshTokenId: string, jwtKey: string, nowMs: number, lifetimeS: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  // The claims in this order, and `iat` as given: fast-jwt keeps a payload's own `iat`.
  return signerOf(jwtKey)({ iss: refreshTokenId, iat, exp: iat + lifetimeS });
}

/** The `iss` claim read without verification, or null for anything that is not a JWT of the right size. */
export function unverifiedIssuer(token: string): string | null {
  if (token.length > MAX_TOKEN_SIZE) return null;
  try {
    const { iss } = verified.get(token)?.claims ?? (decodePayload(token) as Claims);
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

/** True when `token` is signed with `jwtKey` for `issuer` and current at `nowMs`; never throws. */
export async function verifyAccessToken(token: string, jwtKey: string, issuer: string, nowMs: number): Promise<boolean> {
  try {
    const known = verified.get(token);
    const { iss, iat, exp, nbf } = known?.jwtKey === jwtKey ? known.claims : verified.set(token, { jwtKey, claims: verifierOf(jwtKey)(token) }).claims;
    const now = nowMs / 1000;
    // PyJWT: expired when `exp <= now - leeway` (`_validate_exp`), not yet valid when `nbf > now +
    // leeway` (`_validate_nbf`); `iat`, `exp` and any `nbf` must be numbers.
    const current = typeof exp === 'number' && exp > now - ACCESS_TOKEN_LEEWAY_S;
    const begun = nbf === undefined || (typeof nbf === 'number' && nbf <= now + ACCESS_TOKEN_LEEWAY_S);
    return iss === issuer && typeof iat === 'number' && current && begun;
  } catch {
    return false;
  }
}
