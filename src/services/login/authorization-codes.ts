/**
 * Authorization codes (Home Assistant's `_create_auth_code_store`, homeassistant/components/auth/__init__.py):
 * a 32-hex code bound to the exact `client_id`, good once and for less than 10 minutes. The record
 * is keyed by the code's SHA-256 and lives 10 minutes (its TTL) whether redeemed or not, so that a
 * replay within that time is recognized and revokes what the first redemption produced.
 */
import type { LoginCredential } from '../../../machines/credential.js';
import { LOGIN_GRANT_LIFETIME_MS } from '../../../machines/login-grant.js';
import type { Clock } from '../../domain/clock.js';
import { newId, sha256Hex } from '../../domain/ids.js';
import type { Logger } from '../../domain/logger.js';
import { s256Proof } from '../../domain/pkce.js';
import type { Credential, User } from '../../domain/models.js';
import type { Store } from '../../stores/types.js';
import { actorHandle } from '../../runtime/actor-handle.js';
import type { TransitionObserver } from '../../runtime/observers.js';
import type { PendingToken, RefreshTokenService } from '../tokens/refresh-tokens.js';

/**
 * The login a code stands for, as read with its grant: `user` is the user its stored credential
 * belongs to, or null when the login is not stored as the grant names it (a first login: the caller
 * finds or makes the user, users.getOrCreateUser).
 */
export interface CodeLogin {
  credential: LoginCredential;
  user: User | null;
}

/** What a redemption writes with the grant: the refresh token it produces, or nothing when the caller refuses the login. */
export type Issue<R> = { token: PendingToken } | { refused: R };

/** Decides on a login about to be redeemed, before anything is written; `refreshTokenId` is the id its token must take. */
export type IssueFor<R> = (login: CodeLogin, refreshTokenId: string) => Promise<Issue<R>>;

export type Redemption<R = never> =
  | { ok: true; credential: LoginCredential; refreshTokenId: string; issued?: Issue<R> }
  | { ok: false; reason: 'unknown' | 'other_client' | 'expired' | 'replayed' | 'pkce' };

export interface LoginGrantService {
  /** A new code; `codeChallenge` is the login's PKCE challenge (S256), or null. */
  issue(clientId: string, credential: LoginCredential, codeChallenge: string | null): Promise<string>;
  /**
   * Consumes the code for `clientId`. `codeVerifier` is the PKCE verifier presented with it, if any;
   * a wrong or missing proof (or a verifier for a code without a challenge) leaves the code
   * unconsumed: `pkce`. `issue`, when given, is asked once the code is found redeemable, and what it
   * returns is written with the redemption (GrantStore.redeem): the code exchange is one read and
   * one write (issue 16), and a redeemed grant always names a token that exists, so a replay, even one
   * racing the redemption on another instance, revokes it (RFC 6749 §4.1.2). Whatever `issue` throws
   * leaves the code unconsumed.
   */
  redeem<R = never>(clientId: string, code: string, options?: { codeVerifier?: string | undefined; issue?: IssueFor<R> }): Promise<Redemption<R>>;
}

/** Whether the stored credential is the login the grant names: then its user is the one `getOrCreateUser` would find. */
function isStoredLogin(stored: Credential | null, login: LoginCredential): stored is Credential {
  return (
    stored !== null &&
    stored.authProviderType === login.authProviderType &&
    stored.authProviderId === login.authProviderId &&
    stored.lookupKey === login.lookupKey
  );
}

export function loginGrantService(
  store: Store,
  clock: Clock,
  logger: Logger,
  refreshTokens: RefreshTokenService,
  observers: readonly TransitionObserver[] = [],
): LoginGrantService {
  const grants = actorHandle('loginGrant', store.grants, { logger, audit: store.audit, auditInWrite: true, observers });
  return {
    async issue(clientId, credential, codeChallenge) {
      const code = newId();
      const input = { codeId: newId(), clientId, credential, issuedAt: clock(), codeChallenge };
      const id = sha256Hex(code);
      const { created } = await grants.create(id, input, input.issuedAt, (envelope, audit) => store.grants.create(id, envelope, LOGIN_GRANT_LIFETIME_MS, audit));
      if (!created) throw new Error('authorization code collision');
      return code;
    },

    async redeem<R>(clientId: string, code: string, { codeVerifier, issue }: { codeVerifier?: string | undefined; issue?: IssueFor<R> } = {}): Promise<Redemption<R>> {
      // A presented verifier that is not one (RFC 7636 §4.1) proves nothing, yet still counts as presented.
      const proof = codeVerifier === undefined ? null : (s256Proof(codeVerifier) ?? 'invalid verifier');
      const id = sha256Hex(code);
      // The token is created by the write that redeems the grant: in the grant's place (Store.placement).
      const refreshTokenId = store.placement.near(id, newId);
      const event = { type: 'REDEEM' as const, now: clock(), clientId, refreshTokenId, proof };
      const found = await grants.restore(
        store.grants.loadRedemption(id).then((read) => (read === null ? null : { id, ...read })),
        id,
      );
      if (found === null) return { ok: false, reason: 'unknown' };
      let issued: Issue<R> | undefined;
      const result = await grants.transition(id, event, {
        loaded: found,
        // Only the grant as first read can be redeemed by this event (a retry starts from a grant
        // that left `issued`), so `issue` is asked at most once, and only before a write.
        write: async (grantId, expectedRev, next, ttl, after, audit) => {
          const ours = after.matches('redeemed') && after.context.refreshTokenId === refreshTokenId;
          if (ours && issue !== undefined) {
            const { credential } = after.context;
            issued ??= await issue({ credential, user: isStoredLogin(found.credential, credential) ? found.user : null }, refreshTokenId);
            if ('token' in issued) {
              const { keys, initial, audit: tokenAudit } = issued.token;
              return store.grants.redeem(grantId, expectedRev, next(), ttl, { keys, envelope: initial.envelope }, [...audit, ...tokenAudit]);
            }
          }
          return store.grants.compareAndSet(grantId, expectedRev, next(), ttl, audit);
        },
      });
      if (result === null) return { ok: false, reason: 'unknown' };
      // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
      for (const effect of result.emitted) {
        if (effect.type === 'refreshTokenCompromised' && typeof effect.refreshTokenId === 'string') {
          await refreshTokens.revoke(effect.refreshTokenId, 'code_replayed');
        }
      }
      if (result.before.matches('issued') && result.after.matches('redeemed')) {
        return { ok: true, credential: result.after.context.credential, refreshTokenId, ...(issued === undefined ? {} : { issued }) };
      }
      if (result.after.matches('issued')) {
        return { ok: false, reason: result.after.context.clientId === clientId ? 'pkce' : 'other_client' };
      }
      return { ok: false, reason: result.after.matches('expired') ? 'expired' : 'replayed' };
    },
  };
}
