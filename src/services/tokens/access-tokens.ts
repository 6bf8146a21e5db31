/**
 * Who an access token speaks for. Home Assistant re-reads the refresh token on every request, so
 * deleting it kills its access tokens at once, everywhere (ha-auth-spec §6.5, §16.1 #1). Beyond Home
 * Assistant, a refresh token past its expiry counts as ended here too (§16.2 #13): expiry is data.
 */
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import { unverifiedIssuer, verifyAccessToken } from '../../domain/access-token.js';
import type { Store } from '../../stores/types.js';
import type { User } from '../../domain/models.js';
import { activeSession } from './sessions.js';
import { notAllowedReason } from '../users/users.js';

export interface Authenticated {
  user: User;
  refreshTokenId: string;
  /** When the refresh token behind it expires unless used again (epoch ms); null when it does not expire. */
  expireAt: number | null;
}

export interface AccessTokenService {
  /**
   * Who `token` speaks for, seen from `ip` (the client's address after trusted proxies): null when
   * it does not validate or its user may not authenticate from there (`local_only`, §9.2).
   */
  authenticate(token: string, ip: string | null): Promise<Authenticated | null>;
}

export function accessTokenService(store: Store, clock: Clock, logger: Logger): AccessTokenService {
  return {
    async authenticate(token, ip) {
      const refreshTokenId = unverifiedIssuer(token);
      if (refreshTokenId === null) return null;
      const now = clock();
      const session = await activeSession(store, logger, refreshTokenId, now);
      if (session === null || !(await verifyAccessToken(token, session.token.jwtKey, refreshTokenId, now))) return null;
      if (notAllowedReason(session.user, ip) !== null) return null;
      return { user: session.user, refreshTokenId, expireAt: session.token.expireAt };
    },
  };
}
