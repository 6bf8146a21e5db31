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
import type { Store } from '../../stores/types.js';
import { actorHandle } from '../../runtime/actor-handle.js';
import type { TransitionObserver } from '../../runtime/observers.js';
import type { RefreshTokenService } from '../tokens/refresh-tokens.js';

export type Redemption =
  | { ok: true; credential: LoginCredential; refreshTokenId: string }
  | { ok: false; reason: 'unknown' | 'other_client' | 'expired' | 'replayed' | 'pkce' };

export interface LoginGrantService {
  /** A new code; `codeChallenge` is the login's PKCE challenge (S256), or null. */
  issue(clientId: string, credential: LoginCredential, codeChallenge: string | null): Promise<string>;
  /**
   * Consumes the code for `clientId`, reserving `refreshTokenId` for the token it will produce.
   * `codeVerifier` is the PKCE verifier presented with it, if any; a wrong or missing proof (or a
   * verifier for a code without a challenge) leaves the code unconsumed: `pkce`.
   */
  redeem(clientId: string, code: string, refreshTokenId: string, codeVerifier?: string): Promise<Redemption>;
  /** True when the code was redeemed and then replayed (its grant revoked): the winner's token must die too. */
  wasReplayed(code: string): Promise<boolean>;
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

    async redeem(clientId, code, refreshTokenId, codeVerifier) {
      // A presented verifier that is not one (RFC 7636 §4.1) proves nothing, yet still counts as presented.
      const proof = codeVerifier === undefined ? null : (s256Proof(codeVerifier) ?? 'invalid verifier');
      const event = { type: 'REDEEM' as const, now: clock(), clientId, refreshTokenId, proof };
      const result = await grants.transition(sha256Hex(code), event);
      if (result === null) return { ok: false, reason: 'unknown' };
      // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
      for (const effect of result.emitted) {
        if (effect.type === 'refreshTokenCompromised' && typeof effect.refreshTokenId === 'string') {
          await refreshTokens.revoke(effect.refreshTokenId, 'code_replayed');
        }
      }
      if (result.before.matches('issued') && result.after.matches('redeemed')) {
        return { ok: true, credential: result.after.context.credential, refreshTokenId };
      }
      if (result.after.matches('issued')) {
        return { ok: false, reason: result.after.context.clientId === clientId ? 'pkce' : 'other_client' };
      }
      return { ok: false, reason: result.after.matches('expired') ? 'expired' : 'replayed' };
    },

    async wasReplayed(code) {
      const record = await grants.load(sha256Hex(code));
      return record?.snapshot.matches('revoked') ?? false;
    },
  };
}
