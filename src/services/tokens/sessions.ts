/**
 * Whether a refresh token still stands for a session: usable (`issued`) or exchanged for a successor
 * (`redeemed`, rotation: what it minted stays good until it expires), not past its expiry (an expiry
 * is data even before anything ends the token), and its user active. Access tokens and signed paths
 * are only as good as the refresh token behind them (ha-auth-spec §6.5, §13.2).
 */
import type { RefreshTokenContext } from '../../../machines/refresh-token.js';
import type { Logger } from '../../domain/logger.js';
import type { Store } from '../../stores/types.js';
import type { User } from '../../domain/models.js';
import { restoreFound } from '../../runtime/records.js';

export interface Session {
  user: User;
  token: RefreshTokenContext;
}

export async function activeSession(store: Store, logger: Logger, refreshTokenId: string, now: number): Promise<Session | null> {
  // The token and its user in one round trip (RefreshTokenStore.loadSession): `GET /api/` reads nothing else.
  const found = store.refreshTokens.loadSession(refreshTokenId).then((read) => (read === null ? null : { id: refreshTokenId, ...read }));
  const record = await restoreFound(found, 'refreshToken', refreshTokenId, logger);
  if (record === null || !(record.snapshot.matches('issued') || record.snapshot.matches('redeemed'))) return null;
  const token = record.snapshot.context;
  if (token.expireAt !== null && now >= token.expireAt) return null;
  const { user } = record;
  return user === null || !user.isActive ? null : { user, token };
}
