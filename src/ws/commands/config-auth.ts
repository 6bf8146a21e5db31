/**
 * `config/auth/*`: users as admins manage them (homeassistant/components/config/auth.py,
 * ha-auth-spec §12.3), all behind `require_admin`:
 *
 *   {"id": 1, "type": "config/auth/list"} → [<user>]
 *   {"id": 2, "type": "config/auth/create", "name": "Bob", "group_ids": ["system-users"], "local_only": false} → {"user": <user>}
 *   {"id": 3, "type": "config/auth/update", "user_id": "…", "is_active": false} → {"user": <user>}
 *   {"id": 4, "type": "config/auth/delete", "user_id": "…"} → null
 *
 * where <user> is `_user_info`: {"id", "username", "name", "is_owner", "is_active", "local_only",
 * "system_generated", "group_ids", "credentials": [{"type"}]}. Deactivating or deleting a user
 * closes its sockets on every instance (services/users/user-admin.ts).
 */
import { CodedError } from '../../domain/errors.js';
import type { UserAdminService, UserDetails } from '../../services/users/user-admin.js';
import type { WsCommand } from '../command.js';

/** `_user_info`: `username` is the first `homeassistant` credential's, else null. */
export function userInfo({ user, credentials }: UserDetails) {
  const login = credentials.find((credential) => credential.authProviderType === 'homeassistant');
  return {
    id: user.id,
    username: login?.data.username ?? null,
    name: user.name,
    is_owner: user.isOwner,
    is_active: user.isActive,
    local_only: user.localOnly,
    system_generated: user.systemGenerated,
    group_ids: user.groupIds,
    credentials: credentials.map((credential) => ({ type: credential.authProviderType })),
  };
}

export function configAuthCommands(userAdmin: UserAdminService): WsCommand[] {
  const list: WsCommand = {
    type: 'config/auth/list',
    fields: {},
    requires: 'admin',
    run: async () => (await userAdmin.list()).map(userInfo),
  };

  const create: WsCommand = {
    type: 'config/auth/create',
    fields: { name: { type: 'str', required: true }, group_ids: { type: 'str_list' }, local_only: { type: 'bool' } },
    requires: 'admin',
    async run(_context, message) {
      const created = await userAdmin.create({
        name: message.name as string,
        ...(message.group_ids === undefined ? {} : { groupIds: message.group_ids as string[] }),
        ...(message.local_only === undefined ? {} : { localOnly: message.local_only as boolean }),
      });
      return { user: userInfo(created) };
    },
  };

  const update: WsCommand = {
    type: 'config/auth/update',
    fields: {
      user_id: { type: 'str', required: true },
      name: { type: 'str' },
      is_active: { type: 'bool' },
      group_ids: { type: 'str_list' },
      local_only: { type: 'bool' },
    },
    requires: 'admin',
    async run(_context, message) {
      const changes = {
        ...(message.name === undefined ? {} : { name: message.name as string }),
        ...(message.is_active === undefined ? {} : { isActive: message.is_active as boolean }),
        ...(message.group_ids === undefined ? {} : { groupIds: message.group_ids as string[] }),
        ...(message.local_only === undefined ? {} : { localOnly: message.local_only as boolean }),
      };
      return { user: userInfo(await userAdmin.update(message.user_id as string, changes)) };
    },
  };

  const remove: WsCommand = {
    type: 'config/auth/delete',
    fields: { user_id: { type: 'str', required: true } },
    requires: 'admin',
    async run({ user }, message) {
      if (message.user_id === user.id) throw new CodedError('no_delete_self');
      await userAdmin.remove(message.user_id as string);
      return null;
    },
  };

  return [list, create, update, remove];
}
