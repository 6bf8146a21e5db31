/**
 * What a WebSocket connection needs to know about its session (ha-auth-spec §10.1, §10.4): the
 * session an access token opens at the handshake, whether it still stands before each command and
 * when its refresh token is due to expire, and when it ends anywhere in the deployment.
 *
 * Home Assistant registers a revoke callback per connection in its own process, and its expiry
 * sweep fires it; here the store's revocation bus carries every end (revocation, deletion, expiry,
 * the user deactivated or removed) to every instance, and a connection re-checks its session when
 * the token is due to expire: the check that finds it expired ends it, which the bus announces.
 * Pub/sub can lose messages while an instance is cut off from Redis, so the bus also says when that
 * may have happened, and the holder re-checks its sessions.
 */
import type { Clock } from '../../domain/clock.js';
import type { Store } from '../../stores/types.js';
import type { User } from '../../domain/models.js';
import type { AccessTokenService, Authenticated } from './access-tokens.js';
import type { RefreshTokenService } from './refresh-tokens.js';
import { notAllowedReason } from '../users/users.js';

export interface SocketSession {
  user: User;
  refreshTokenId: string;
  /** Time left until the refresh token expires unless used; null when it does not expire. */
  endsInMs: number | null;
}

export interface SocketSessionService {
  /**
   * The handshake: the session this access token speaks for, seen from `ip`, or null (`auth_invalid`).
   * Beyond Home Assistant, a `local_only` user cannot open a socket from outside (§16.2 #10).
   */
  authenticate(accessToken: string, ip: string | null): Promise<SocketSession | null>;
  /**
   * The session as it stands now (its user re-read), or null when it ended; an expired token is
   * ended now. With `ip`, also null when the user may no longer authenticate from there.
   */
  current(refreshTokenId: string, ip?: string | null): Promise<SocketSession | null>;
  /** Calls `ended` with each refresh token id that ends anywhere, and `missed` when ends may have been lost. */
  watch(ended: (refreshTokenId: string) => void, missed: () => void): () => void;
}

export function socketSessionService(
  store: Store,
  clock: Clock,
  accessTokens: AccessTokenService,
  refreshTokens: RefreshTokenService,
): SocketSessionService {
  const withTimeLeft = ({ user, refreshTokenId, expireAt }: Authenticated): SocketSession => ({
    user,
    refreshTokenId,
    endsInMs: expireAt === null ? null : expireAt - clock(),
  });

  return {
    async authenticate(accessToken, ip) {
      const session = await accessTokens.authenticate(accessToken, ip);
      return session === null ? null : withTimeLeft(session);
    },

    async current(refreshTokenId, ip) {
      const token = await refreshTokens.backingSession(refreshTokenId);
      if (token === null) return null;
      const user = await store.users.getUser(token.userId);
      if (user === null || !user.isActive) return null;
      if (ip !== undefined && notAllowedReason(user, ip) !== null) return null;
      return withTimeLeft({ user, refreshTokenId, expireAt: token.expireAt });
    },

    watch(ended, missed) {
      const stopEnds = store.revocations.subscribe(ended);
      const stopMissed = store.revocations.onMissedMessages(missed);
      return () => {
        stopEnds();
        stopMissed();
      };
    },
  };
}
