/**
 * `auth/current_user` and `auth/sign_path` (homeassistant/components/auth/__init__.py, ha-auth-spec
 * §12.1, §13.1), behind `ws_require_user()`:
 *
 *   {"id": 1, "type": "auth/current_user"} → {"id", "name", "is_owner", "is_admin",
 *     "credentials": [{"auth_provider_type", "auth_provider_id"}], "mfa_modules": [{"id", "name", "enabled"}]}
 *   {"id": 2, "type": "auth/sign_path", "path": "/api/x?a=1", "expires": 30} → {"path": "/api/x?a=1&authSig=…"}
 *
 * `mfa_modules` lists every configured module, `enabled` when the user has set it up.
 * `expires` keeps Home Assistant's range (a Python `timedelta`: ±999999999 days); a negative one
 * signs an already expired path, as in Home Assistant.
 */
import type { MfaService } from '../../services/mfa/mfa-modules.js';
import type { SignedPathService } from '../../services/tokens/signed-paths.js';
import { isAdmin, type UserService } from '../../services/users/users.js';
import type { WsCommand } from '../command.js';

const MAX_TIMEDELTA_S = 999_999_999 * 24 * 60 * 60;

export interface AuthSessionDeps {
  users: UserService;
  signedPaths: SignedPathService;
  mfa: MfaService;
}

export function authSessionCommands({ users, signedPaths, mfa }: AuthSessionDeps): WsCommand[] {
  const currentUser: WsCommand = {
    type: 'auth/current_user',
    fields: null,
    requires: 'active_user',
    async run({ user }) {
      const credentials = await users.credentialsOf(user.id);
      return {
        id: user.id,
        name: user.name,
        is_owner: user.isOwner,
        is_admin: isAdmin(user),
        credentials: credentials.map((credential) => ({
          auth_provider_type: credential.authProviderType,
          auth_provider_id: credential.authProviderId,
        })),
        mfa_modules: await mfa.describe(user.id),
      };
    },
  };

  const signPath: WsCommand = {
    type: 'auth/sign_path',
    fields: {
      path: { type: 'str', required: true },
      expires: { type: 'int', default: 30, min: -MAX_TIMEDELTA_S, max: MAX_TIMEDELTA_S },
    },
    requires: 'active_user',
    async run({ refreshTokenId }, message) {
      return { path: await signedPaths.sign(message.path as string, message.expires as number, refreshTokenId) };
    },
  };

  return [currentUser, signPath];
}
