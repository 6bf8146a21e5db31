/**
 * Who an access token speaks for. Home Assistant re-reads the refresh token on every request, so
 * deleting it kills its access tokens at once, everywhere (ha-auth-spec §6.5, §16.1 #1). Beyond Home
 * Assistant, a refresh token past its expiry counts as ended here too (§16.2 #13): expiry is data.
 */
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import { unverifiedIssuer, verifyAccessToken } from '../domain/access-token.js';
import type { Store, User } from '../stores/types.js';
import { loadRecord } from './persisted-actor.js';

export interface Authenticated {
  user: User;
  refreshTokenId: string;
}

export interface AccessTokenService {
  authenticate(token: string): Promise<Authenticated | null>;
}

export function accessTokenService(store: Store, clock: Clock, logger: Logger): AccessTokenService {
  return {
    async authenticate(token) {
      const refreshTokenId = unverifiedIssuer(token);
      if (refreshTokenId === null) return null;
      const record = await loadRecord(store.refreshTokens, 'refreshToken', refreshTokenId, logger);
      if (record === null || !record.snapshot.matches('issued')) return null;
      const { jwtKey, expireAt, userId } = record.snapshot.context;
      const now = clock();
      if (expireAt !== null && now >= expireAt) return null;
      if (!(await verifyAccessToken(token, jwtKey, refreshTokenId, now))) return null;
      const user = await store.users.getUser(userId);
      if (user === null || !user.isActive) return null;
      return { user, refreshTokenId };
    },
  };
}
