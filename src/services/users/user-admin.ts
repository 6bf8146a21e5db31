/**
 * Users as admins manage them (`config/auth/*`, homeassistant/components/config/auth.py, ha-auth-spec
 * §12.3), with the rules of HA's `AuthManager.async_create_user`, `async_update_user` and
 * `async_remove_user`.
 *
 * Where this goes beyond HA (§16.2 #11), it is to close sockets on every instance:
 * - deactivating a user announces its live refresh tokens on the revocation bus without ending
 *   them. HA leaves such sockets open; access-token checks already refuse an inactive user, so the
 *   tokens stay as they are and work again once the user is reactivated, as in HA;
 * - removing a user ends its refresh tokens through RefreshTokenService, which announces them. HA
 *   drops them without firing the revoke callbacks, so its sockets stay open.
 */
import type { Clock } from '../../domain/clock.js';
import { CodedError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Store } from '../../stores/types.js';
import type { Credential, User } from '../../domain/models.js';
import { removeCredential } from '../providers/homeassistant-accounts.js';
import type { HomeAssistantProvider } from '../providers/password-store.js';
import type { RefreshTokenService } from '../tokens/refresh-tokens.js';
import { GROUP_ID_ADMIN, GROUP_ID_READ_ONLY, GROUP_ID_USER } from './users.js';

export interface UserDetails {
  user: User;
  credentials: Credential[];
}

export interface UserAdminService {
  /** Every user, system ones included, in creation order (createdAt, then id). */
  list(): Promise<UserDetails[]>;
  get(id: string): Promise<UserDetails | null>;
  create(input: { name: string; groupIds?: string[]; localOnly?: boolean }): Promise<UserDetails>;
  update(id: string, changes: { name?: string; isActive?: boolean; groupIds?: string[]; localOnly?: boolean }): Promise<UserDetails>;
  remove(id: string): Promise<void>;
}

/** The groups Home Assistant always has (homeassistant/auth/const.py); this service has no custom ones. */
const KNOWN_GROUP_IDS = new Set([GROUP_ID_ADMIN, GROUP_ID_USER, GROUP_ID_READ_ONLY]);

/** HA's auth store refuses an unknown group before it writes anything. */
function checkGroups(groupIds: readonly string[]): void {
  const unknown = groupIds.find((groupId) => !KNOWN_GROUP_IDS.has(groupId));
  if (unknown !== undefined) throw new CodedError('invalid_group', { groupId: unknown });
}

const byCreation = (a: User, b: User) => a.createdAt - b.createdAt || a.id.localeCompare(b.id);

export function userAdminService(
  store: Store,
  clock: Clock,
  refreshTokens: RefreshTokenService,
  passwords: HomeAssistantProvider,
): UserAdminService {
  const { users } = store;
  const details = async (user: User): Promise<UserDetails> => ({ user, credentials: await users.listCredentials(user.id) });

  /** HA's `_user_should_be_owner`: the first user that is not system generated. */
  const shouldBeOwner = async () => (await users.listUsers()).every((user) => user.systemGenerated);

  /** Each instance closes the sockets authenticated with these tokens; the tokens themselves stay. */
  async function closeSocketsOf(userId: string): Promise<void> {
    const ids = (await refreshTokens.listForUser(userId)).map((token) => token.id);
    if (ids.length > 0) await store.revocations.publish(ids);
  }

  return {
    async list() {
      return Promise.all((await users.listUsers()).sort(byCreation).map(details));
    },

    async get(id) {
      const user = await users.getUser(id);
      return user === null ? null : details(user);
    },

    async create({ name, groupIds = [], localOnly = false }) {
      checkGroups(groupIds);
      const user: User = {
        id: newId(),
        name,
        isOwner: false,
        isActive: true,
        systemGenerated: false,
        localOnly,
        groupIds,
        createdAt: clock(),
      };
      // Two admins creating the first users at once: the store lets only one of them be the owner.
      const asOwner = { ...user, isOwner: true };
      if ((await shouldBeOwner()) && (await users.createUser(asOwner, { asOwner: true }))) return { user: asOwner, credentials: [] };
      await users.createUser(user);
      return { user, credentials: [] };
    },

    async update(id, changes) {
      const user = await users.getUser(id);
      if (user === null) throw new CodedError('unknown_user');
      if (user.systemGenerated) throw new CodedError('cannot_modify_system_generated');
      if (user.isOwner && changes.isActive === false) throw new CodedError('cannot_deactivate_owner');
      if (changes.groupIds !== undefined) checkGroups(changes.groupIds);
      const updated: User = {
        ...user,
        name: changes.name ?? user.name,
        isActive: changes.isActive ?? user.isActive,
        groupIds: changes.groupIds ?? user.groupIds,
        localOnly: changes.localOnly ?? user.localOnly,
      };
      if (!(await users.updateUser(updated))) throw new CodedError('unknown_user');
      // After the write, so that a socket that reconnects at once finds the user inactive. Every
      // deactivation announces, so repeating one also covers an announcement that failed before.
      if (changes.isActive === false) await closeSocketsOf(id);
      return details(updated);
    },

    async remove(id) {
      const user = await users.getUser(id);
      if (user === null) throw new CodedError('unknown_user');
      // Credentials first, as HA does: once they are gone no login can reach this user, so no token
      // can be issued behind the revocations below.
      for (const credential of await users.listCredentials(id)) await removeCredential(users, passwords, credential);
      for (const token of await refreshTokens.listForUser(id)) await refreshTokens.revoke(token.id, 'user_removed');
      await users.deleteUser(id);
    },
  };
}
