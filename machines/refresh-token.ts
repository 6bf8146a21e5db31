/**
 * Refresh token: a login session (Home Assistant's `RefreshToken`, homeassistant/auth/models.py).
 *
 *   issued ──USE (not past expireAt)──▶ issued   (records last use, slides a normal token's expiry)
 *     ├──USE / EXPIRE (at or past expireAt)──▶ expired
 *     └──REVOKE──▶ revoked
 *
 * Home Assistant slides `expire_at = now + 90 days` on every access-token mint for tokens that have
 * an expiry (only `normal` ones at creation) and removes expired tokens from a timer only, so a token
 * whose expiry passed stays usable until the sweep (ha-auth-spec §16.2 #13). Here expiry is a guard
 * on `now`: a use at or after `expireAt` ends the token instead of reviving it.
 * `SET_EXPIRY` is `auth/refresh_token_set_expiry`: disabling clears the expiry; enabling sets
 * `(lastUsedAt ?? now) + 90 days` only when none is set, as Home Assistant does.
 * Every end emits `refreshTokenEnded` so that sockets authenticated with it close (revocation bus).
 */
import { assign, emit, setup } from 'xstate';

export const REFRESH_TOKEN_VERSION = 1;

/** `REFRESH_TOKEN_EXPIRATION`, homeassistant/auth/const.py: 90 days of inactivity. */
export const REFRESH_TOKEN_INACTIVITY_MS = 90 * 24 * 60 * 60 * 1000;

export type RefreshTokenType = 'normal' | 'system' | 'long_lived_access_token';

export interface RefreshTokenInput {
  id: string;
  userId: string;
  clientId: string | null;
  clientName: string | null;
  clientIcon: string | null;
  tokenType: RefreshTokenType;
  createdAt: number;
  /** Lifetime of the access tokens it mints, in seconds (1800, or an LLAT's lifespan). */
  accessTokenExpirationS: number;
  /** HMAC key of its access tokens: 128 hex chars used as an ASCII string, as Home Assistant does. */
  jwtKey: string;
  credentialId: string | null;
  /** The version of the service that created it (Home Assistant's `version` field). */
  version: string | null;
  /** The token's first use, when it is created to be used at once (its first access token). */
  firstUse?: { at: number; ip: string | null };
}

export type RefreshTokenEndReason = 'expired' | 'revoked' | 'code_replayed' | 'user_removed';

export interface RefreshTokenContext extends RefreshTokenInput {
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  expireAt: number | null;
  endedAt: number | null;
  endReason: RefreshTokenEndReason | null;
}

export type RefreshTokenEvent =
  | { type: 'USE'; now: number; ip: string | null }
  | { type: 'SET_EXPIRY'; now: number; enable: boolean }
  | { type: 'EXPIRE'; now: number }
  | { type: 'REVOKE'; now: number; reason: Exclude<RefreshTokenEndReason, 'expired'> };

export type RefreshTokenEmitted = {
  type: 'refreshTokenEnded';
  refreshTokenId: string;
  reason: RefreshTokenEndReason;
};

export const refreshTokenMachine = setup({
  types: {
    input: {} as RefreshTokenInput,
    context: {} as RefreshTokenContext,
    events: {} as RefreshTokenEvent,
    emitted: {} as RefreshTokenEmitted,
  },
  guards: {
    isPastExpiry: ({ context, event }) => context.expireAt !== null && event.now >= context.expireAt,
  },
  actions: {
    recordUse: assign(({ context, event }) => {
      if (event.type !== 'USE') return {};
      return {
        lastUsedAt: event.now,
        lastUsedIp: event.ip,
        expireAt: context.expireAt === null ? null : event.now + REFRESH_TOKEN_INACTIVITY_MS,
      };
    }),
    setExpiry: assign(({ context, event }) => {
      if (event.type !== 'SET_EXPIRY') return {};
      if (!event.enable) return { expireAt: null };
      if (context.expireAt !== null) return {};
      return { expireAt: (context.lastUsedAt ?? event.now) + REFRESH_TOKEN_INACTIVITY_MS };
    }),
    recordExpiry: assign(({ event }) => ({ endedAt: event.now, endReason: 'expired' as const })),
    recordRevocation: assign(({ event }) => ({
      endedAt: event.now,
      endReason: event.type === 'REVOKE' ? event.reason : null,
    })),
    announceEnd: emit(({ context }) => ({
      type: 'refreshTokenEnded' as const,
      refreshTokenId: context.id,
      reason: context.endReason ?? 'revoked',
    })),
  },
}).createMachine({
  id: 'refreshToken',
  context: ({ input: { firstUse, ...input } }) => ({
    ...input,
    lastUsedAt: firstUse?.at ?? null,
    lastUsedIp: firstUse?.ip ?? null,
    expireAt: input.tokenType === 'normal' ? input.createdAt + REFRESH_TOKEN_INACTIVITY_MS : null,
    endedAt: null,
    endReason: null,
  }),
  initial: 'issued',
  states: {
    issued: {
      on: {
        USE: [
          { guard: 'isPastExpiry', target: 'expired', actions: ['recordExpiry', 'announceEnd'] },
          { actions: 'recordUse' },
        ],
        EXPIRE: { guard: 'isPastExpiry', target: 'expired', actions: ['recordExpiry', 'announceEnd'] },
        SET_EXPIRY: { actions: 'setExpiry' },
        REVOKE: { target: 'revoked', actions: ['recordRevocation', 'announceEnd'] },
      },
    },
    expired: { type: 'final' },
    revoked: { type: 'final' },
  },
});
