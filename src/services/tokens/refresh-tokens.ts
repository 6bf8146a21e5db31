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
import type { RefreshTokenContext, RefreshTokenEmitted, RefreshTokenFamily, RefreshTokenInput, RefreshTokenType } from '../../../machines/refresh-token.js';
import type { ClientPolicy } from '../../auth-config.js';
import { signAccessToken } from '../../domain/access-token.js';
import type { Clock } from '../../domain/clock.js';
import { CodedError } from '../../domain/errors.js';
import { newId, newSecret, sha256Hex } from '../../domain/ids.js';
import { ROTATION_KEY_NAME, successorSecret } from '../../domain/successor-secret.js';
import type { Logger } from '../../domain/logger.js';
import type { AuditEntry, RefreshTokenKeys, Store } from '../../stores/types.js';
import type { Credential, User } from '../../domain/models.js';
import { actorHandle } from '../../runtime/actor-handle.js';
import type { TransitionObserver } from '../../runtime/observers.js';
import type { Loaded } from '../../runtime/records.js';

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
  /** The rotating family the token starts (a login of a client whose policy rotates); none otherwise. */
  family?: RefreshTokenFamily;
  /**
   * Where the first access token goes. Every refresh token is created to be used at once (Home
   * Assistant follows `async_create_refresh_token` with `async_create_access_token`, which logs the
   * use); here the use is recorded in the creating write, so no later event can race it.
   */
  ip: string | null;
}

export type RefreshTokenEndReason = 'revoked' | 'code_replayed' | 'user_removed' | 'reuse_detected';

/** A token presented at the refresh grant: usable, or redeemed (its family rotated past it). */
export interface PresentedToken {
  token: RefreshTokenContext;
  redeemed: boolean;
  /** The record as read, for `mintAccessToken` to start from (one round trip less on the hot path). */
  record: LoadedRefreshToken;
  /** Its user and the credential it was issued for, read with it (RefreshTokenStore.loadPresented). */
  user: User | null;
  credential: Credential | null;
}

type LoadedRefreshToken = Loaded<'refreshToken'>;

/** What `presented` is given when only the token was read: its user and credential unknown. */
const NOTHING_READ = { user: null, credential: null };

/**
 * A token checked against Home Assistant's rules and ready to be written, by the store's `create` or
 * by another record's write that creates it (a code's redemption, LoginGrantService.redeem): its
 * record's keys, its first envelope and the audit entries its write keeps.
 */
export interface PendingToken {
  id: string;
  secret: string;
  keys: RefreshTokenKeys;
  initial: LoadedRefreshToken;
  audit: AuditEntry[];
  createdAt: number;
}

/** A token once written: its secret (shown once) and its first access token. */
export interface IssuedToken {
  id: string;
  secret: string;
  token: RefreshTokenContext;
  accessToken: string;
}

export type Rotation = { ok: true; secret: string; accessToken: string; successor: RefreshTokenContext } | { ok: false };

export interface RefreshTokenService {
  /** The new token, its secret (shown once) and its first access token. */
  create(user: User, request: NewRefreshToken): Promise<IssuedToken>;
  /** `create`'s checks and first record, not yet written: a CodedError when Home Assistant's rules refuse it. */
  prepare(user: User, request: NewRefreshToken): Promise<PendingToken>;
  /** The token `pending` became once another write created it: observers told, first access token signed. */
  issued(pending: PendingToken): Promise<IssuedToken>;
  /** The usable token whose secret this is; null for unknown, ended or expired ones (an expired one is ended now). */
  findBySecret(secret: string): Promise<RefreshTokenContext | null>;
  /** The token whose secret this is when it is usable or redeemed; null otherwise. */
  findPresented(secret: string): Promise<PresentedToken | null>;
  /**
   * The refresh grant for a rotating client (or a redeemed token), given the token as presented
   * and its secret: one write redeems the token and creates its successor (RefreshTokenStore.exchange);
   * a presentation of a redeemed token within its grace window writes nothing and gets that same
   * successor again (domain/successor-secret.ts). `ok: false` when the token cannot be exchanged
   * (ended, reuse, family over, its successor ended).
   */
  rotate(presented: PresentedToken, secret: string, ip: string | null, policy: ClientPolicy): Promise<Rotation>;
  /**
   * Records the use (sliding a normal token's expiry) and signs an access token; null if the token
   * ended. `presented`: the token as `findPresented` read it, to start from instead of reading it again.
   */
  mintAccessToken(id: string, ip: string | null, presented?: PresentedToken): Promise<string | null>;
  revoke(id: string, reason: RefreshTokenEndReason): Promise<void>;
  /** The usable token with this id, or null (an expired one is ended now). */
  get(id: string): Promise<RefreshTokenContext | null>;
  /**
   * The token with this id while it backs a session: usable, or redeemed (the access tokens it
   * minted stay good until they expire, and the family carries on in its successor).
   */
  backingSession(id: string): Promise<RefreshTokenContext | null>;
  listForUser(userId: string): Promise<RefreshTokenContext[]>;
  /** `auth/refresh_token_set_expiry` (machines/refresh-token.ts `SET_EXPIRY`); false when the token ended. */
  setExpiry(id: string, enable: boolean): Promise<boolean>;
}

/** Home Assistant's `ValueError`s of `async_create_refresh_token`, in its order (their texts: domain/errors.ts). */
function checkRules(user: User, tokenType: RefreshTokenType, request: NewRefreshToken, existing: RefreshTokenContext[]) {
  if (!user.isActive) throw new CodedError('inactive_user');
  if (user.systemGenerated && request.clientId !== null) {
    throw new CodedError('system_user_with_client');
  }
  if (user.systemGenerated !== (tokenType === 'system')) {
    throw new CodedError('system_user_token_type');
  }
  if (tokenType === 'normal' && request.clientId === null) {
    throw new CodedError('client_required');
  }
  if (tokenType === 'long_lived_access_token') {
    const name = request.clientName ?? null;
    if (name === null) throw new CodedError('client_name_required');
    const taken = existing.some((token) => token.tokenType === tokenType && token.clientName === name);
    if (taken) throw new CodedError('client_name_taken', { clientName: name });
  }
}

export function refreshTokenService(
  store: Store,
  clock: Clock,
  logger: Logger,
  version: string,
  observers: readonly TransitionObserver[] = [],
): RefreshTokenService {
  const tokens = actorHandle('refreshToken', store.refreshTokens, {
    logger,
    audit: store.audit,
    auditInWrite: true,
    observers,
    // Ended tokens stay a day as tombstones; a redeemed one as long, so that its reuse is caught.
    ttlAfter: (after) => (after.status === 'done' || after.matches('redeemed') ? TOMBSTONE_MS : undefined),
  });

  /** The effects of a transition, run once it is written. */
  async function perform(emitted: RefreshTokenEmitted[]): Promise<void> {
    const ended = emitted.flatMap((e) => (e.type === 'refreshTokenEnded' ? [e.refreshTokenId] : []));
    if (ended.length > 0) await store.revocations.publish(ended);
    for (const effect of emitted) {
      if (effect.type === 'familyCompromised') await endFamily(effect.userId, effect.familyId);
    }
  }

  async function end(id: string, reason: RefreshTokenEndReason): Promise<void> {
    const ended = await tokens.transition(id, { type: 'REVOKE', now: clock(), reason });
    await perform(ended?.emitted ?? []);
  }

  /** Reuse detected (RFC 9700 §4.14.2): every token of the family ends, wherever its sockets are. */
  async function endFamily(userId: string, familyId: string): Promise<void> {
    for (const { id } of await store.refreshTokens.listByUser(userId)) {
      const record = await tokens.load(id);
      if (record?.snapshot.context.family?.id === familyId && record.snapshot.status !== 'done') await end(id, 'reuse_detected');
    }
  }

  /** The token of `record` if it is usable; one past its expiry is ended now (expiry is data). */
  async function usable(id: string, record: LoadedRefreshToken | null): Promise<RefreshTokenContext | null> {
    if (record === null || !record.snapshot.matches('issued')) return null;
    const { context } = record.snapshot;
    if (context.expireAt === null || clock() < context.expireAt) return context;
    const ended = await tokens.transition(id, { type: 'EXPIRE', now: clock() });
    await perform(ended?.emitted ?? []);
    return null;
  }

  const live = async (id: string) => usable(id, await tokens.load(id));

  /** One read decides, so that a token redeemed by a racing instance in between is still found. */
  async function presented(id: string, record: LoadedRefreshToken | null, read: Pick<PresentedToken, 'user' | 'credential'> = NOTHING_READ): Promise<PresentedToken | null> {
    if (record?.snapshot.matches('redeemed')) return { token: record.snapshot.context, redeemed: true, record, ...read };
    const token = await usable(id, record);
    return token === null || record === null ? null : { token, redeemed: false, record, ...read };
  }

  // Logged, if unreadable, under the hash's first characters: enough to find it, never the whole key.
  const lookupName = (tokenHash: string) => `rt-hash:${tokenHash.slice(0, 8)}…`;

  /** The record whose secret this is: the hash index and the record in one round trip. */
  const bySecret = (secret: string) => {
    const tokenHash = sha256Hex(secret);
    return tokens.restore(store.refreshTokens.loadByTokenHash(tokenHash), lookupName(tokenHash));
  };

  // Read from the store once per process (it never changes), then kept: rotations after the first
  // cost no round trip for it.
  let rotationKey: Promise<string> | undefined;
  /** The successor's secret, placed with the presented token `presentedId` (Store.placement). */
  const successorSecretOf = async (presentedId: string, presentedSecret: string) => {
    rotationKey ??= store.secrets.getOrCreate(ROTATION_KEY_NAME, newSecret()).catch((error: unknown) => {
      rotationKey = undefined;
      throw error;
    });
    const key = await rotationKey;
    let attempt = 0;
    return store.placement.near(presentedId, () => successorSecret(key, presentedSecret, attempt++), sha256Hex);
  };

  /**
   * The answer to a presentation of a token already exchanged for `successorId`, within its grace
   * window: the successor's secret derived again and an access token of it, while the successor
   * backs a session (usable, or itself rotated on: backingSession); nothing is written.
   */
  async function sameSuccessor(successorId: string, secret: string, now: number): Promise<Rotation> {
    const successor = await backingSession(successorId);
    if (successor === null) return { ok: false };
    const accessToken = await signAccessToken(successorId, successor.jwtKey, now, successor.accessTokenExpirationS);
    return { ok: true, secret, accessToken, successor };
  }

  async function backingSession(id: string): Promise<RefreshTokenContext | null> {
    return (await presented(id, await tokens.load(id)))?.token ?? null;
  }

  async function prepare(user: User, request: NewRefreshToken): Promise<PendingToken> {
    const tokenType = request.tokenType ?? (user.systemGenerated ? 'system' : 'normal');
    const existing = tokenType === 'long_lived_access_token' ? await service.listForUser(user.id) : [];
    checkRules(user, tokenType, request, existing);
    const id = request.id ?? newId();
    // Found by its hash and by its id, so both name one place (Store.placement).
    const secret = store.placement.near(id, newSecret, sha256Hex);
    const now = clock();
    const input: RefreshTokenInput = {
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
      ...(request.family === undefined ? {} : { family: request.family }),
    };
    const initial = tokens.initial(input);
    const keys = { id, userId: user.id, tokenHash: sha256Hex(secret), credentialId: input.credentialId };
    return { id, secret, keys, initial, audit: tokens.creationAudit(id, initial.snapshot, now), createdAt: now };
  }

  async function issued({ id, secret, initial, createdAt }: PendingToken): Promise<IssuedToken> {
    tokens.created(id, initial.snapshot, createdAt);
    const token = initial.snapshot.context;
    const accessToken = await signAccessToken(id, token.jwtKey, createdAt, token.accessTokenExpirationS);
    return { id, secret, token, accessToken };
  }

  const service: RefreshTokenService = {
    async create(user, request) {
      const pending = await prepare(user, request);
      if (!(await store.refreshTokens.create(pending.keys, pending.initial.envelope, pending.audit))) {
        throw new CodedError('refresh_token_exists', { id: pending.id });
      }
      return issued(pending);
    },

    prepare,

    issued,

    async findBySecret(secret) {
      const found = await bySecret(secret);
      return found === null ? null : usable(found.id, found);
    },

    async findPresented(secret) {
      const tokenHash = sha256Hex(secret);
      const found = await tokens.restore(store.refreshTokens.loadPresented(tokenHash), lookupName(tokenHash));
      return found === null ? null : presented(found.id, found, found);
    },

    async rotate(presentedAs, presentedSecret, ip, policy) {
      const { token, record } = presentedAs;
      const now = clock();
      const family = token.family ?? {
        id: token.id,
        generation: 1,
        predecessorId: null,
        expiresAt: policy.familyLifetimeMs === null ? null : token.createdAt + policy.familyLifetimeMs,
      };
      // Both in the presented token's place: one write redeems it and creates the successor.
      const secret = await successorSecretOf(token.id, presentedSecret);
      const successorId = store.placement.near(token.id, newId);
      const successor = tokens.initial({
        id: successorId,
        userId: token.userId,
        clientId: token.clientId,
        clientName: token.clientName,
        clientIcon: token.clientIcon,
        tokenType: token.tokenType,
        createdAt: now,
        accessTokenExpirationS: token.accessTokenExpirationS,
        jwtKey: newSecret(),
        credentialId: token.credentialId,
        version,
        firstUse: { at: now, ip },
        family: { ...family, generation: family.generation + 1, predecessorId: token.id },
      });
      const successorKeys = { id: successorId, userId: token.userId, tokenHash: sha256Hex(secret), credentialId: token.credentialId };
      // The successor is written by the very write that redeems the token for it, and by no other:
      // a lost race, a retry from a newer record or a failure leaves nothing behind.
      const namesOurs = (after: { value: unknown; context: RefreshTokenContext }) => after.value === 'redeemed' && after.context.successorId === successorId;
      const event = { type: 'ROTATE' as const, now, ip, successorId, graceMs: policy.graceMs, family };
      const rotated = await tokens.transition(token.id, event, {
        loaded: record,
        write: (id, expectedRev, next, ttl, after, audit) =>
          namesOurs(after)
            ? store.refreshTokens.exchange(id, expectedRev, next(), ttl, { keys: successorKeys, envelope: successor.envelope }, [
                ...audit,
                ...tokens.creationAudit(successorId, successor.snapshot, now),
              ])
            : store.refreshTokens.compareAndSet(id, expectedRev, next(), ttl, audit),
      });
      await perform(rotated?.emitted ?? []);
      if (rotated === null || !rotated.after.matches('redeemed')) return { ok: false };
      const { successorId: current } = rotated.after.context;
      if (current !== successorId) return current === null ? { ok: false } : sameSuccessor(current, secret, now);
      tokens.created(successorId, successor.snapshot, now);
      const { context } = successor.snapshot;
      const accessToken = await signAccessToken(successorId, context.jwtKey, now, context.accessTokenExpirationS);
      return { ok: true, secret, accessToken, successor: context };
    },

    async mintAccessToken(id, ip, presentedAs) {
      const now = clock();
      const loaded = presentedAs?.token.id === id ? presentedAs.record : undefined;
      // A use that leaves the token usable is recorded beside it (RefreshTokenStore.recordUse): racing
      // uses of one token do not conflict, and only a transition written since the read (a revocation,
      // a rotation) sends this one back to the machine. A use that ends the token is a transition.
      const used = await tokens.transition(id, { type: 'USE', now, ip }, {
        ...(loaded === undefined ? {} : { loaded }),
        write: (recordId, expectedRev, next, ttl, after, audit) =>
          after.matches('issued')
            ? store.refreshTokens.recordUse(recordId, expectedRev, { at: now, ip }, audit)
            : store.refreshTokens.compareAndSet(recordId, expectedRev, next(), ttl, audit),
      });
      if (used === null) return null;
      await perform(used.emitted);
      if (!used.after.matches('issued')) return null;
      const { jwtKey, accessTokenExpirationS } = used.after.context;
      return signAccessToken(id, jwtKey, now, accessTokenExpirationS);
    },

    revoke: end,

    get: live,

    backingSession,

    async listForUser(userId) {
      const listed = await Promise.all((await store.refreshTokens.listByUser(userId)).map(({ id }) => live(id)));
      return listed.filter((token) => token !== null);
    },

    async setExpiry(id, enable) {
      const changed = await tokens.transition(id, { type: 'SET_EXPIRY', now: clock(), enable });
      return changed !== null && changed.after.matches('issued');
    },
  };
  return service;
}
