/**
 * The token endpoint's use cases (homeassistant/components/auth/__init__.py, `TokenView` and
 * `RevokeTokenView`; ha-auth-spec §6.1, §6.2), checked in Home Assistant's order. A refusal is an
 * outcome named by its code in the error catalog (domain/errors.ts), which src/http/token.ts renders.
 *
 * Both grants ask the login's provider before they mint an access token (row 6 of §6.1: a
 * trusted_networks login is refused outside its networks, 403 `access_denied` with the provider's
 * words); the code grant asks before it creates the refresh token, where Home Assistant asks after
 * and leaves that token behind.
 */
import type { LoginCredential } from '../../../machines/credential.js';
import type { ClientPolicy } from '../../auth-config.js';
import { deniesAccess, isCoded } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { verifyClientId } from '../../domain/indieauth.js';
import type { AuthProviders } from '../providers/auth-providers.js';
import type { LoginGrantService } from '../login/authorization-codes.js';
import type { RefreshTokenService } from './refresh-tokens.js';
import type { UserService } from '../users/users.js';

export type TokenOutcome =
  | { kind: 'tokens'; accessToken: string; expiresIn: number; refreshToken?: string; authProvider?: string }
  | { kind: 'invalid_client_id' | 'invalid_code' | 'invalid_request' | 'invalid_grant' | 'invalid_code_verifier' | 'user_gone' }
  | { kind: 'access_denied'; reason: string };

export interface TokenService {
  /** `codeVerifier`: the PKCE verifier (RFC 7636 §4.5), when the client sent one. */
  exchangeCode(clientId: string | undefined, code: string | undefined, ip: string | null, codeVerifier?: string): Promise<TokenOutcome>;
  refresh(clientId: string | undefined, refreshToken: string | undefined, ip: string | null): Promise<TokenOutcome>;
  /** RFC 7009 §2.2: unknown tokens are not an error. */
  revoke(token: string | undefined): Promise<void>;
}

interface Deps {
  users: UserService;
  grants: LoginGrantService;
  refreshTokens: RefreshTokenService;
  /** The refresh-token policy of a client (auth-config.ts): whether its tokens rotate. */
  clientPolicy: (clientId: string | null) => ClientPolicy;
  clock: () => number;
  /** The configured providers' verdict on a token's use (auth-providers.ts). */
  providers: Pick<AuthProviders, 'refusal'>;
}

export function tokenService({ users, grants, refreshTokens, clientPolicy, clock, providers }: Deps): TokenService {
  /** The code's user, or null when it is gone for good (Home Assistant answers 500 there). */
  const userOf = (credential: LoginCredential) =>
    users.getOrCreateUser(credential).catch((error: unknown) => {
      if (isCoded(error, 'user_gone')) return null;
      throw error;
    });

  return {
    async exchangeCode(clientId, code, ip, codeVerifier) {
      if (clientId === undefined || !verifyClientId(clientId)) return { kind: 'invalid_client_id' };
      if (code === undefined) return { kind: 'invalid_code' };
      const redemption = await grants.redeem(clientId, code, newId(), codeVerifier);
      if (!redemption.ok) return { kind: redemption.reason === 'pkce' ? 'invalid_code_verifier' : 'invalid_code' };
      const { credential, refreshTokenId } = redemption;
      const user = await userOf(credential);
      if (user === null) return { kind: 'user_gone' };
      // Row 5 of §6.1 (the user's own block), then row 6 (the provider's).
      const reason = users.notAllowedReason(user, ip) ?? providers.refusal(credential, ip);
      if (reason !== null) return { kind: 'access_denied', reason };
      try {
        const policy = clientPolicy(clientId);
        const family = policy.rotateRefreshTokens
          ? { id: refreshTokenId, generation: 1, predecessorId: null, expiresAt: policy.familyLifetimeMs === null ? null : clock() + policy.familyLifetimeMs }
          : undefined;
        const request = { id: refreshTokenId, clientId, credentialId: credential.id, ip, ...(family === undefined ? {} : { family }) };
        const { secret, token, accessToken } = await refreshTokens.create(user, request);
        // A replay that raced this redemption could not revoke a token that did not exist yet. The
        // first redeemer still gets its answer, as in Home Assistant; its tokens just do not work.
        if (await grants.wasReplayed(code)) await refreshTokens.revoke(refreshTokenId, 'code_replayed');
        const expiresIn = token.accessTokenExpirationS;
        return { kind: 'tokens', accessToken, expiresIn, refreshToken: secret, authProvider: credential.authProviderType };
      } catch (error) {
        if (deniesAccess(error)) return { kind: 'access_denied', reason: error.message };
        throw error;
      }
    },

    async refresh(clientId, secret, ip) {
      if (clientId !== undefined && !verifyClientId(clientId)) return { kind: 'invalid_client_id' };
      if (secret === undefined) return { kind: 'invalid_request' };
      const found = await refreshTokens.findPresented(secret);
      if (found === null) return { kind: 'invalid_grant' };
      // The user and the credential were read with the token (one round trip), though only a user who may log in needs the credential.
      const { token, user, credential } = found;
      if (token.clientId !== (clientId ?? null)) return { kind: 'invalid_request' };
      if (user === null) return { kind: 'invalid_grant' };
      const reason = users.notAllowedReason(user, ip) ?? providers.refusal(credential, ip);
      if (reason !== null) return { kind: 'access_denied', reason };
      const policy = clientPolicy(token.clientId);
      // A redeemed token is always judged by rotation's rules (grace or reuse), even if the policy changed since.
      if (found.redeemed || policy.rotateRefreshTokens) {
        const rotation = await refreshTokens.rotate(found, secret, ip, policy);
        if (!rotation.ok) return { kind: 'invalid_grant' };
        const { accessToken, secret: refreshToken, successor } = rotation;
        return { kind: 'tokens', accessToken, expiresIn: successor.accessTokenExpirationS, refreshToken };
      }
      const accessToken = await refreshTokens.mintAccessToken(token.id, ip, found);
      if (accessToken === null) return { kind: 'invalid_grant' };
      return { kind: 'tokens', accessToken, expiresIn: token.accessTokenExpirationS };
    },

    async revoke(secret) {
      if (secret === undefined) return;
      const found = await refreshTokens.findPresented(secret);
      if (found !== null) await refreshTokens.revoke(found.token.id, 'revoked');
    },
  };
}
