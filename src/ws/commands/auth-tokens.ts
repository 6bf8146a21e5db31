/**
 * `auth/*` commands on refresh tokens (homeassistant/components/auth/__init__.py, ha-auth-spec §12.1),
 * all behind `ws_require_user()`:
 *
 *   {"id": 2, "type": "auth/long_lived_access_token", "client_name": "script", "lifespan": 3650}
 *     → "<access token>"
 *   {"id": 3, "type": "auth/refresh_tokens"} → [{"auth_provider_type", "client_icon", "client_id",
 *     "client_name", "created_at", "expire_at", "id", "is_current", "last_used_at", "last_used_ip",
 *     "rotation", "type"}]   (`rotation`: {family_id, generation, predecessor_id} of a rotating token, else null)
 *   {"id": 4, "type": "auth/delete_refresh_token", "refresh_token_id": "…"} → {}
 *   {"id": 5, "type": "auth/delete_all_refresh_tokens", "token_type": "normal", "delete_current_token": true} → {}
 *   {"id": 6, "type": "auth/refresh_token_set_expiry", "refresh_token_id": "…", "enable_expiry": false} → {}
 *
 * Beyond Home Assistant: `lifespan` must be 1 to 365000 days (HA makes dead tokens below and fails
 * with `unknown_error` far above), and a taken long-lived token name or a system user answers
 * `home_assistant_error` with Home Assistant's own text rather than `unknown_error` (§16.2 #17).
 */
import type { RefreshTokenContext } from '../../../machines/refresh-token.js';
import { CodedError } from '../../domain/errors.js';
import { pythonIsoformat } from '../../domain/python-datetime.js';
import type { RefreshTokenService } from '../../services/tokens/refresh-tokens.js';
import type { UserService } from '../../services/users/users.js';
import type { CommandContext, WsCommand } from '../command.js';

/** `DELETE_CURRENT_TOKEN_DELAY`: the caller's own token goes after the answer, so that the answer arrives. */
export const DELETE_CURRENT_TOKEN_DELAY_MS = 2000;
const DAY_S = 24 * 60 * 60;

export interface AuthTokenDeps {
  users: UserService;
  refreshTokens: RefreshTokenService;
}

const invalidTokenId = () => new CodedError('invalid_token_id');

/** `connection.user.refresh_tokens.get(id)`: only the caller's own tokens are found. */
async function ownToken(refreshTokens: RefreshTokenService, context: CommandContext, id: string): Promise<RefreshTokenContext> {
  const token = await refreshTokens.get(id);
  if (token === null || token.userId !== context.user.id) throw invalidTokenId();
  return token;
}

const isoOrNull = (epochMs: number | null) => (epochMs === null ? null : pythonIsoformat(epochMs));

export function authTokenCommands({ users, refreshTokens }: AuthTokenDeps): WsCommand[] {
  const longLivedAccessToken: WsCommand = {
    type: 'auth/long_lived_access_token',
    fields: {
      lifespan: { type: 'int', required: true, min: 1, max: 365_000 },
      client_name: { type: 'str', required: true },
      client_icon: { type: 'str' },
    },
    requires: 'active_user',
    async run({ user }, message) {
      const created = await refreshTokens.create(user, {
        clientId: null,
        clientName: message.client_name as string,
        clientIcon: (message.client_icon as string | undefined) ?? null,
        tokenType: 'long_lived_access_token',
        accessTokenExpirationS: (message.lifespan as number) * DAY_S,
        // `async_create_access_token(refresh_token)` is called without a remote IP here.
        ip: null,
      });
      return created.accessToken;
    },
  };

  const listRefreshTokens: WsCommand = {
    type: 'auth/refresh_tokens',
    fields: null,
    requires: 'active_user',
    async run({ user, refreshTokenId }) {
      const [tokens, credentials] = await Promise.all([refreshTokens.listForUser(user.id), users.credentialsOf(user.id)]);
      const providerOf = new Map(credentials.map((credential) => [credential.id, credential.authProviderType]));
      return tokens
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
        .map((token) => ({
          auth_provider_type: token.credentialId === null ? null : (providerOf.get(token.credentialId) ?? null),
          client_icon: token.clientIcon,
          client_id: token.clientId,
          client_name: token.clientName,
          created_at: pythonIsoformat(token.createdAt),
          expire_at: isoOrNull(token.expireAt),
          id: token.id,
          is_current: token.id === refreshTokenId,
          last_used_at: isoOrNull(token.lastUsedAt),
          last_used_ip: token.lastUsedIp,
          // Beyond Home Assistant, ignored by its clients: where a rotating token stands in its family.
          rotation:
            token.family === null
              ? null
              : { family_id: token.family.id, generation: token.family.generation, predecessor_id: token.family.predecessorId },
          type: token.tokenType,
        }));
    },
  };

  const deleteRefreshToken: WsCommand = {
    type: 'auth/delete_refresh_token',
    fields: { refresh_token_id: { type: 'str', required: true } },
    requires: 'active_user',
    async run(context, message) {
      const token = await ownToken(refreshTokens, context, message.refresh_token_id as string);
      await refreshTokens.revoke(token.id, 'revoked');
      return {};
    },
  };

  const deleteAllRefreshTokens: WsCommand = {
    type: 'auth/delete_all_refresh_tokens',
    fields: { token_type: { type: 'string' }, delete_current_token: { type: 'bool', default: true } },
    requires: 'active_user',
    async run({ user, refreshTokenId, later }, message) {
      const tokenType = message.token_type as string | undefined;
      let current: RefreshTokenContext | undefined;
      let failed = false;
      for (const token of await refreshTokens.listForUser(user.id)) {
        if (token.id === refreshTokenId) current = token;
        else if (tokenType === undefined || token.tokenType === tokenType) {
          // One failure must not keep the others: Home Assistant logs it and goes on.
          failed = (await refreshTokens.revoke(token.id, 'revoked').then(() => false, () => true)) || failed;
        }
      }
      if (message.delete_current_token === true && current !== undefined && (tokenType === undefined || current.tokenType === tokenType)) {
        later(DELETE_CURRENT_TOKEN_DELAY_MS, () => refreshTokens.revoke(refreshTokenId, 'revoked'));
      }
      if (failed) throw new CodedError('token_removing_error');
      return {};
    },
  };

  const setExpiry: WsCommand = {
    type: 'auth/refresh_token_set_expiry',
    fields: { refresh_token_id: { type: 'str', required: true }, enable_expiry: { type: 'bool', required: true } },
    requires: 'active_user',
    async run(context, message) {
      const token = await ownToken(refreshTokens, context, message.refresh_token_id as string);
      if (!(await refreshTokens.setExpiry(token.id, message.enable_expiry as boolean))) throw invalidTokenId();
      return {};
    },
  };

  return [longLivedAccessToken, listRefreshTokens, deleteRefreshToken, deleteAllRefreshTokens, setExpiry];
}
