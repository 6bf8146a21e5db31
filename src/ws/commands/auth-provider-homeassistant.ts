/**
 * `config/auth_provider/homeassistant/*`: logins of the username/password provider
 * (homeassistant/components/config/auth_provider_homeassistant.py, ha-auth-spec §12.4):
 *
 *   create {user_id, username, password}          admin            → null
 *   delete {username}                             admin            → null
 *   change_password {current_password, new_password}  the caller's own login → null
 *   admin_change_password {user_id, password}     admin and owner  → null
 *   admin_change_username {user_id, username}     admin and owner  → null
 *
 * A taken or non-normalized username answers `home_assistant_error` with Home Assistant's
 * translation (services/providers/password-store.ts). No command ends refresh tokens, as in Home
 * Assistant; a failed `change_password` is not a failed login. While the bcrypt queue is full,
 * `create`, `change_password` and `admin_change_password` answer `home_assistant_error` "Too many
 * password checks at once, try again shortly" and change nothing (services/providers/password-checks.ts).
 */
import type { HomeAssistantAccountService } from '../../services/providers/homeassistant-accounts.js';
import type { WsCommand } from '../command.js';

const PREFIX = 'config/auth_provider/homeassistant';

export function authProviderHomeAssistantCommands(accounts: HomeAssistantAccountService): WsCommand[] {
  const str = { type: 'str', required: true } as const;
  return [
    {
      type: `${PREFIX}/create`,
      fields: { user_id: str, username: str, password: str },
      requires: 'admin',
      async run(_context, message) {
        await accounts.addCredentials(message.user_id as string, message.username as string, message.password as string);
        return null;
      },
    },
    {
      type: `${PREFIX}/delete`,
      fields: { username: str },
      requires: 'admin',
      async run(_context, message) {
        await accounts.removeByUsername(message.username as string);
        return null;
      },
    },
    {
      type: `${PREFIX}/change_password`,
      fields: { current_password: str, new_password: str },
      requires: 'any_user',
      async run({ user }, message) {
        await accounts.changeOwnPassword(user, message.current_password as string, message.new_password as string);
        return null;
      },
    },
    {
      type: `${PREFIX}/admin_change_password`,
      fields: { user_id: str, password: str },
      requires: 'admin_owner',
      async run(_context, message) {
        await accounts.adminChangePassword(message.user_id as string, message.password as string);
        return null;
      },
    },
    {
      type: `${PREFIX}/admin_change_username`,
      fields: { user_id: str, username: str },
      requires: 'admin_owner',
      async run(_context, message) {
        await accounts.adminChangeUsername(message.user_id as string, message.username as string);
        return null;
      },
    },
  ];
}
