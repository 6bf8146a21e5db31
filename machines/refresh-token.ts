/**
 * Refresh token: a login session (Home Assistant's `RefreshToken`, homeassistant/auth/models.py).
 *
 *   issued ──USE (not past expireAt)──▶ issued   (records last use, slides a normal token's expiry)
 *     ├──ROTATE──▶ redeemed   (exchanged for a successor: clients whose policy rotates, RFC 9700 §4.14)
 *     ├──USE / ROTATE / EXPIRE (at or past expireAt, or past the family's lifetime)──▶ expired
 *     └──REVOKE──▶ revoked
 *   redeemed ──ROTATE within the grace window──▶ redeemed   (nothing changes: the caller answers with the same successor)
 *     ├──ROTATE after the grace window──▶ revoked   (reuse: the whole family is revoked)
 *     ├──ROTATE past the family's lifetime──▶ expired
 *     └──REVOKE──▶ revoked
 *
 * Home Assistant slides `expire_at = now + 90 days` on every access-token mint for tokens that have
 * an expiry (only `normal` ones at creation) and removes expired tokens from a timer only, so a token
 * whose expiry passed stays usable until the sweep (ha-auth-spec §16.2 #13). Here expiry is a guard
 * on `now`: a use at or after `expireAt` ends the token instead of reviving it.
 * `SET_EXPIRY` is `auth/refresh_token_set_expiry`: disabling clears the expiry; enabling sets
 * `(lastUsedAt ?? now) + 90 days` only when none is set, as Home Assistant does.
 *
 * Rotation (beyond Home Assistant, which never rotates): a rotating token belongs to a family, the
 * chain of tokens that replaced one another since the first one a login produced. Presenting a
 * `redeemed` token again within its grace window (a lost response, two tabs) changes nothing here:
 * the service answers it with the successor it already has (whose secret it derives again from the
 * presented one, src/domain/successor-secret.ts), so every answer of the window carries the same,
 * working tokens and the family keeps exactly one usable token; presenting it after the window is
 * reuse, and revokes the family (RFC 9700 §4.14.2).
 *
 * Every end emits `refreshTokenEnded` so that sockets authenticated with it close (revocation bus);
 * `familyCompromised` asks the service to end the family's other tokens.
 */
import { assign, emit, setup } from 'xstate';

/** 2: rotation (`redeemed`, `family`, `successorId`, `redeemedAt`, `graceUntil`); see src/stores/envelope.ts. */
export const REFRESH_TOKEN_VERSION = 2;

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
  /** The rotating family it belongs to; absent for a token that does not rotate. */
  family?: RefreshTokenFamily;
  /**
   * A token made elsewhere and brought here as it stands (Home Assistant's `.storage/auth`, read by
   * `hass-auth import-ha`): its last use and its expiry are kept as they were, instead of being
   * derived from `createdAt` and `firstUse`. `expireAt: null` on a normal token is one whose expiry
   * was switched off (`auth/refresh_token_set_expiry`). Only the initial context differs, so the
   * persisted shape (and REFRESH_TOKEN_VERSION) stays the same.
   */
  imported?: ImportedUse;
}

/** What an imported token has been through: Home Assistant's `last_used_at`, `last_used_ip` and `expire_at`. */
export interface ImportedUse {
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  expireAt: number | null;
}

/** Where a rotating token stands in its family. */
export interface RefreshTokenFamily {
  /** The id of the family's first token. */
  id: string;
  /** 1 for the first token, +1 for each successor. */
  generation: number;
  predecessorId: string | null;
  /** The family's absolute end (epoch ms), or null for none. */
  expiresAt: number | null;
}

/**
 * `superseded` is only ever read: a token ended while a presentation within the grace window still
 * replaced the successor and ended the previous one (before issue 17) keeps it as its reason.
 */
export type RefreshTokenEndReason = 'expired' | 'revoked' | 'code_replayed' | 'user_removed' | 'superseded' | 'reuse_detected';

export interface RefreshTokenContext extends Omit<RefreshTokenInput, 'firstUse' | 'family' | 'imported'> {
  lastUsedAt: number | null;
  lastUsedIp: string | null;
  expireAt: number | null;
  family: RefreshTokenFamily | null;
  /** The token that replaced it, once `redeemed`. */
  successorId: string | null;
  redeemedAt: number | null;
  /** Until when presenting it again gets a new successor rather than counting as reuse. */
  graceUntil: number | null;
  endedAt: number | null;
  endReason: RefreshTokenEndReason | null;
}

export type RefreshTokenEvent =
  | { type: 'USE'; now: number; ip: string | null }
  /** Exchange for the successor `successorId`; `graceMs` is the client's grace window, `family` the family to start when it has none. */
  | { type: 'ROTATE'; now: number; ip: string | null; successorId: string; graceMs: number; family: RefreshTokenFamily }
  | { type: 'SET_EXPIRY'; now: number; enable: boolean }
  | { type: 'EXPIRE'; now: number }
  | { type: 'REVOKE'; now: number; reason: Exclude<RefreshTokenEndReason, 'expired' | 'superseded'> };

export type RefreshTokenEmitted =
  | { type: 'refreshTokenEnded'; refreshTokenId: string; reason: RefreshTokenEndReason }
  | { type: 'familyCompromised'; familyId: string; userId: string };

/** A new normal token expires after 90 days without use; other types never (homeassistant/auth/__init__.py). */
function defaultExpiry({ tokenType, createdAt }: Pick<RefreshTokenInput, 'tokenType' | 'createdAt'>): number | null {
  return tokenType === 'normal' ? createdAt + REFRESH_TOKEN_INACTIVITY_MS : null;
}

/**
 * A use recorded beside the snapshot rather than in it (issue 16): uses of one token commute, so they
 * need no compare-and-set against one another, and the stores keep the latest (RecordedUse).
 */
export interface RecordedUse {
  at: number;
  ip: string | null;
}

type UseFields = Pick<RefreshTokenContext, 'lastUsedAt' | 'lastUsedIp' | 'expireAt'>;

/**
 * The context as if `use` had been a USE of it (`recordUse`), unless the context already knows a use
 * at least as late: the last use is the latest, and a normal token's expiry slides to 90 days after
 * it (Home Assistant's `expire_at = now + REFRESH_TOKEN_EXPIRATION`), never back, whatever order
 * racing uses land in. A token whose expiry is off (null) keeps it off.
 */
export function withRecordedUse<C extends UseFields>(context: C, use: RecordedUse): C {
  if (context.lastUsedAt !== null && context.lastUsedAt >= use.at) return context;
  const slid = use.at + REFRESH_TOKEN_INACTIVITY_MS;
  return { ...context, lastUsedAt: use.at, lastUsedIp: use.ip, expireAt: context.expireAt === null ? null : Math.max(context.expireAt, slid) };
}

/** A new token's last use and expiry: its first use, or as Home Assistant's storage had them (import). */
function contextUse({ firstUse, imported, tokenType, createdAt }: RefreshTokenInput): UseFields {
  if (imported !== undefined) return { lastUsedAt: imported.lastUsedAt, lastUsedIp: imported.lastUsedIp, expireAt: imported.expireAt };
  return { lastUsedAt: firstUse?.at ?? null, lastUsedIp: firstUse?.ip ?? null, expireAt: defaultExpiry({ tokenType, createdAt }) };
}

export const refreshTokenMachine = setup({
  types: {
    input: {} as RefreshTokenInput,
    context: {} as RefreshTokenContext,
    events: {} as RefreshTokenEvent,
    emitted: {} as RefreshTokenEmitted,
  },
  guards: {
    isPastExpiry: ({ context, event }) => context.expireAt !== null && event.now >= context.expireAt,
    isPastFamilyLifetime: ({ context, event }) =>
      context.family?.expiresAt !== undefined && context.family.expiresAt !== null && event.now >= context.family.expiresAt,
    isWithinGrace: ({ context, event }) => context.graceUntil !== null && event.now < context.graceUntil,
  },
  actions: {
    recordUse: assign(({ context, event }) => {
      if (event.type !== 'USE' && event.type !== 'ROTATE') return {};
      return {
        lastUsedAt: event.now,
        lastUsedIp: event.ip,
        expireAt: context.expireAt === null || event.type === 'ROTATE' ? context.expireAt : event.now + REFRESH_TOKEN_INACTIVITY_MS,
      };
    }),
    recordRotation: assign(({ context, event }) => {
      if (event.type !== 'ROTATE') return {};
      return {
        family: context.family ?? event.family,
        successorId: event.successorId,
        redeemedAt: event.now,
        graceUntil: event.now + event.graceMs,
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
    recordReuse: assign(({ event }) => ({ endedAt: event.now, endReason: 'reuse_detected' as const })),
    announceEnd: emit(({ context }) => ({
      type: 'refreshTokenEnded' as const,
      refreshTokenId: context.id,
      reason: context.endReason ?? 'revoked',
    })),
    announceCompromise: emit(({ context }) => ({
      type: 'familyCompromised' as const,
      familyId: context.family?.id ?? context.id,
      userId: context.userId,
    })),
  },
}).createMachine({
  id: 'refreshToken',
  // Each field named, no spread: V8 (Node 20) defines the properties that follow a spread in an
  // object literal slowly, about 0.7 µs each, so `{ ...input, nine more }` took 7 µs of every
  // token's creation; this takes 0.1.
  context: ({ input }) => {
    const use = contextUse(input);
    return {
      id: input.id,
      userId: input.userId,
      clientId: input.clientId,
      clientName: input.clientName,
      clientIcon: input.clientIcon,
      tokenType: input.tokenType,
      createdAt: input.createdAt,
      accessTokenExpirationS: input.accessTokenExpirationS,
      jwtKey: input.jwtKey,
      credentialId: input.credentialId,
      version: input.version,
      lastUsedAt: use.lastUsedAt,
      lastUsedIp: use.lastUsedIp,
      expireAt: use.expireAt,
      family: input.family ?? null,
      successorId: null,
      redeemedAt: null,
      graceUntil: null,
      endedAt: null,
      endReason: null,
    };
  },
  initial: 'issued',
  states: {
    issued: {
      on: {
        USE: [
          { guard: 'isPastExpiry', target: 'expired', actions: ['recordExpiry', 'announceEnd'] },
          { actions: 'recordUse' },
        ],
        ROTATE: [
          { guard: 'isPastExpiry', target: 'expired', actions: ['recordExpiry', 'announceEnd'] },
          { guard: 'isPastFamilyLifetime', target: 'expired', actions: ['recordExpiry', 'announceEnd'] },
          { target: 'redeemed', actions: ['recordUse', 'recordRotation'] },
        ],
        EXPIRE: { guard: 'isPastExpiry', target: 'expired', actions: ['recordExpiry', 'announceEnd'] },
        SET_EXPIRY: { actions: 'setExpiry' },
        REVOKE: { target: 'revoked', actions: ['recordRevocation', 'announceEnd'] },
      },
    },
    redeemed: {
      on: {
        ROTATE: [
          { guard: 'isPastFamilyLifetime', target: 'expired', actions: ['recordExpiry', 'announceEnd'] },
          // Within the window the presentation is answered, not recorded: racing ones cannot contend.
          { guard: 'isWithinGrace' },
          { target: 'revoked', actions: ['recordReuse', 'announceEnd', 'announceCompromise'] },
        ],
        REVOKE: { target: 'revoked', actions: ['recordRevocation', 'announceEnd'] },
      },
    },
    expired: { type: 'final' },
    revoked: { type: 'final' },
  },
});
