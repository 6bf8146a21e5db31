/**
 * Refresh tokens: creation with Home Assistant's rules (homeassistant/auth/__init__.py,
 * `async_create_refresh_token`), lookup by secret, access-token minting, revocation.
 *
 * Model (after lucia's auth_session): the public handle is the 32-hex id, which access tokens carry
 * as `iss`; the 128-hex secret is handed out once and stored only as its SHA-256, so a lookup is a
 * hash-index read rather than Home Assistant's compare_digest scan over every token. Ending a token
 * (revoke, expiry) is a transition of its machine; the ended record stays as a tombstone for a day
 * (audit, reuse detection) and every instance hears of the end on the revocation bus.
 */
import type { RefreshTokenContext, RefreshTokenType } from '../../machines/refresh-token.js';
import { signAccessToken } from '../domain/access-token.js';
import type { Clock } from '../domain/clock.js';
import { newId, newSecret, sha256Hex } from '../domain/ids.js';
import type { Logger } from '../domain/logger.js';
import type { Store, User } from '../stores/types.js';
import { initialEnvelope, loadRecord, transitionRecord } from './persisted-actor.js';

/** `ACCESS_TOKEN_EXPIRATION`, homeassistant/auth/const.py. */
export const ACCESS_TOKEN_EXPIRATION_S = 30 * 60;
/** How long an ended token stays readable after its end. */
export const TOMBSTONE_MS = 24 * 60 * 60 * 1000;

export interface NewRefreshToken {
  clientId: string | null;
  clientName?: string | null;
  clientIcon?: string | null;
  tokenType?: RefreshTokenType;
  accessTokenExpirationS?: number;
  credentialId?: string | null;
  /** Chosen in advance when a grant must record it (see machines/login-grant.ts). */
  id?: string;
  /**
   * Where the first access token goes. Every refresh token is created to be used at once (Home
   * Assistant follows `async_create_refresh_token` with `async_create_access_token`, which logs the
   * use); here the use is recorded in the creating write, so no later event can race it.
   */
  ip: string | null;
}

/** Home Assistant's `ValueError`s of `async_create_refresh_token`, with its exact messages. */
export class RefreshTokenRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefreshTokenRuleError';
  }
}

export type RefreshTokenEndReason = 'revoked' | 'code_replayed' | 'user_removed';

export interface RefreshTokenService {
  /** The new token, its secret (shown once) and its first access token. */
  create(user: User, request: NewRefreshToken): Promise<{ id: string; secret: string; token: RefreshTokenContext; accessToken: string }>;
  /** The usable token whose secret this is; null for unknown, ended or expired ones (an expired one is ended now). */
  findBySecret(secret: string): Promise<RefreshTokenContext | null>;
  /** Records the use (sliding a normal token's expiry) and signs an access token; null if the token ended. */
  mintAccessToken(id: string, ip: string | null): Promise<string | null>;
  revoke(id: string, reason: RefreshTokenEndReason): Promise<void>;
  /** The usable token with this id, or null (an expired one is ended now). */
  get(id: string): Promise<RefreshTokenContext | null>;
  listForUser(userId: string): Promise<RefreshTokenContext[]>;
  /** `auth/refresh_token_set_expiry` (machines/refresh-token.ts `SET_EXPIRY`); false when the token ended. */
  setExpiry(id: string, enable: boolean): Promise<boolean>;
}

function checkRules(user: User, tokenType: RefreshTokenType, request: NewRefreshToken, existing: RefreshTokenContext[]) {
  if (!user.isActive) throw new RefreshTokenRuleError('User is not active');
  if (user.systemGenerated && request.clientId !== null) {
    throw new RefreshTokenRuleError('System generated users cannot have refresh tokens connected to a client.');
  }
  if (user.systemGenerated !== (tokenType === 'system')) {
    throw new RefreshTokenRuleError('System generated users can only have system type refresh tokens');
  }
  if (tokenType === 'normal' && request.clientId === null) {
    throw new RefreshTokenRuleError('Client is required to generate a refresh token.');
  }
  if (tokenType === 'long_lived_access_token') {
    const name = request.clientName ?? null;
    if (name === null) throw new RefreshTokenRuleError('Client_name is required for long-lived access token');
    const taken = existing.some((token) => token.tokenType === tokenType && token.clientName === name);
    if (taken) throw new RefreshTokenRuleError(`${name} already exists`);
  }
}

export function refreshTokenService(store: Store, clock: Clock, logger: Logger, version: string): RefreshTokenService {
  const options = { logger, ttlAfter: (after: { status: string }) => (after.status === 'done' ? TOMBSTONE_MS : undefined) };

  async function announceEnds(emitted: Array<{ type: string; refreshTokenId?: unknown }>) {
    const ids = emitted.flatMap((e) => (e.type === 'refreshTokenEnded' && typeof e.refreshTokenId === 'string' ? [e.refreshTokenId] : []));
    if (ids.length > 0) await store.revocations.publish(ids);
  }

  async function live(id: string): Promise<RefreshTokenContext | null> {
    const record = await loadRecord(store.refreshTokens, 'refreshToken', id, logger);
    if (record === null || !record.snapshot.matches('issued')) return null;
    const { context } = record.snapshot;
    if (context.expireAt === null || clock() < context.expireAt) return context;
    const ended = await transitionRecord(store.refreshTokens, 'refreshToken', id, { type: 'EXPIRE', now: clock() }, options);
    await announceEnds(ended?.emitted ?? []);
    return null;
  }

  return {
    async create(user, request) {
      const tokenType = request.tokenType ?? (user.systemGenerated ? 'system' : 'normal');
      const existing = tokenType === 'long_lived_access_token' ? await this.listForUser(user.id) : [];
      checkRules(user, tokenType, request, existing);
      const id = request.id ?? newId();
      const secret = newSecret();
      const now = clock();
      const { snapshot, envelope } = initialEnvelope('refreshToken', {
        id,
        userId: user.id,
        clientId: request.clientId,
        clientName: request.clientName ?? null,
        clientIcon: request.clientIcon ?? null,
        tokenType,
        createdAt: now,
        accessTokenExpirationS: request.accessTokenExpirationS ?? ACCESS_TOKEN_EXPIRATION_S,
        jwtKey: newSecret(),
        credentialId: request.credentialId ?? null,
        version,
        firstUse: { at: now, ip: request.ip },
      });
      if (!(await store.refreshTokens.create({ id, userId: user.id, tokenHash: sha256Hex(secret) }, envelope))) {
        throw new RefreshTokenRuleError(`refresh token ${id} exists already`);
      }
      const token = snapshot.context;
      const accessToken = await signAccessToken(id, token.jwtKey, now, token.accessTokenExpirationS);
      return { id, secret, token, accessToken };
    },

    async findBySecret(secret) {
      const id = await store.refreshTokens.findIdByTokenHash(sha256Hex(secret));
      return id === null ? null : live(id);
    },

    async mintAccessToken(id, ip) {
      const now = clock();
      const used = await transitionRecord(store.refreshTokens, 'refreshToken', id, { type: 'USE', now, ip }, options);
      if (used === null) return null;
      await announceEnds(used.emitted);
      if (!used.after.matches('issued')) return null;
      const { jwtKey, accessTokenExpirationS } = used.after.context;
      return signAccessToken(id, jwtKey, now, accessTokenExpirationS);
    },

    async revoke(id, reason) {
      const ended = await transitionRecord(store.refreshTokens, 'refreshToken', id, { type: 'REVOKE', now: clock(), reason }, options);
      await announceEnds(ended?.emitted ?? []);
    },

    get: live,

    async listForUser(userId) {
      const tokens = await Promise.all((await store.refreshTokens.listByUser(userId)).map(({ id }) => live(id)));
      return tokens.filter((token) => token !== null);
    },

    async setExpiry(id, enable) {
      const changed = await transitionRecord(store.refreshTokens, 'refreshToken', id, { type: 'SET_EXPIRY', now: clock(), enable }, options);
      return changed !== null && changed.after.matches('issued');
    },
  };
}
