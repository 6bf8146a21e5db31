/**
 * Signed paths (`async_sign_path` and `async_validate_signed_request`, homeassistant/components/http/auth.py;
 * ha-auth-spec §13): a GET URL that carries its own authorization in `authSig`, an HS256 JWT
 * `{iss: refresh token id, path, params, iat, exp}` over the path and its query parameters (except
 * `height` and `width`, which clients may change). The secret lives in the store, so every instance
 * validates every signed URL and they survive restarts (Home Assistant keeps it in memory).
 * Beyond Home Assistant, the signer's refresh token must still be usable and its user active.
 */
import { SignJWT, jwtVerify } from 'jose';
import type { Clock } from '../../domain/clock.js';
import { newSecret } from '../../domain/ids.js';
import type { Logger } from '../../domain/logger.js';
import type { Store } from '../../stores/types.js';
import type { Authenticated } from './access-tokens.js';
import { activeSession } from './sessions.js';
import { notAllowedReason } from '../users/users.js';

/** `SIGN_QUERY_PARAM` and `SAFE_QUERY_PARAMS`. */
export const SIGN_QUERY_PARAM = 'authSig';
const SAFE_QUERY_PARAMS = new Set(['height', 'width']);
/** `DATA_SIGN_SECRET`, the name Home Assistant gives the secret. */
const SECRET_NAME = 'http.auth.sign_secret';

export interface SignedPathService {
  /** `auth/sign_path`: the path with `authSig` appended, valid for `expiresS` seconds. */
  sign(path: string, expiresS: number, refreshTokenId: string): Promise<string>;
  /**
   * Who signed this GET request's URL, or null when the signature does not hold or the signer's user
   * may not authenticate from `ip` (beyond Home Assistant, which skips `local_only` here, §16.2 #12).
   */
  verify(url: string, ip: string | null): Promise<Authenticated | null>;
}

function splitUrl(url: string): { path: string; params: Array<[string, string]> } {
  const parsed = new URL(url, 'http://signed.invalid');
  let path = parsed.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // A path that is not valid percent-encoding is compared as it is.
  }
  return { path, params: [...parsed.searchParams.entries()] };
}

const signedParams = (params: Array<[string, string]>) =>
  params.filter(([key]) => !SAFE_QUERY_PARAMS.has(key) && key !== SIGN_QUERY_PARAM);

export function signedPathService(store: Store, clock: Clock, logger: Logger): SignedPathService {
  const secret = async () => new TextEncoder().encode(await store.secrets.getOrCreate(SECRET_NAME, newSecret()));

  return {
    async sign(path, expiresS, refreshTokenId) {
      const { path: signedPath, params } = splitUrl(path);
      const iat = Math.floor(clock() / 1000);
      const claims = { iss: refreshTokenId, path: signedPath, params: signedParams(params), iat, exp: iat + expiresS };
      const signature = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(await secret());
      const query = new URLSearchParams([...params, [SIGN_QUERY_PARAM, signature]]);
      return `${path.split('?')[0]}?${query.toString()}`;
    },

    async verify(url, ip) {
      const { path, params } = splitUrl(url);
      const signature = params.find(([key]) => key === SIGN_QUERY_PARAM)?.[1];
      if (signature === undefined) return null;
      let claims: { iss?: unknown; path?: unknown; params?: unknown };
      // Outside the try: a store that cannot be reached is a 503, not a bad signature (a 401).
      const key = await secret();
      try {
        ({ payload: claims } = await jwtVerify(signature, key, {
          algorithms: ['HS256'],
          requiredClaims: ['iat', 'exp'],
          currentDate: new Date(clock()),
        }));
      } catch {
        return null;
      }
      if (claims.path !== path || JSON.stringify(claims.params) !== JSON.stringify(signedParams(params))) return null;
      if (typeof claims.iss !== 'string') return null;
      const session = await activeSession(store, logger, claims.iss, clock());
      if (session === null || notAllowedReason(session.user, ip) !== null) return null;
      return { user: session.user, refreshTokenId: claims.iss, expireAt: session.token.expireAt };
    },
  };
}
