/**
 * The `homeassistant` provider's accounts as admins and users manage them over the WebSocket
 * (`config/auth_provider/homeassistant/*`, homeassistant/components/config/auth_provider_homeassistant.py,
 * ha-auth-spec §12.4): a username/password entry (password-store.ts) and the credential
 * that links it to a user, kept in step.
 *
 * - A user's account is its first `homeassistant` credential, as HA's handlers pick it.
 * - Nothing here ends refresh tokens: HA keeps them across password changes and credential removal
 *   (§10.4, §16.2 #11).
 * - Beyond HA: an account is added, and renamed, with its credential in one store write
 *   (UserStore.addLogin, renameLogin), refused whole when the credential is another user's (HA keeps
 *   the entry, which would give that user a password the admin chose), so that the entry and the
 *   credential never disagree, not even after a store outage or a crash between two writes.
 */
import { CodedError, isCoded } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { UserStore } from '../../stores/types.js';
import type { Credential, User } from '../../domain/models.js';
import { normalizeUsername, type HomeAssistantProvider } from './password-store.js';

export interface HomeAssistantAccountService {
  addCredentials(userId: string, username: string, password: string): Promise<void>;
  removeByUsername(username: string): Promise<void>;
  changeOwnPassword(user: User, currentPassword: string, newPassword: string): Promise<void>;
  adminChangePassword(userId: string, password: string): Promise<void>;
  adminChangeUsername(userId: string, username: string): Promise<void>;
}

const isHomeAssistant = (credential: Credential) => credential.authProviderType === 'homeassistant';

/** A `homeassistant` credential's `data` is `{username}`: the name of its password entry. */
const usernameOf = (credential: Credential) => credential.data.username ?? '';

/**
 * HA's `AuthManager.async_remove_credentials`: a `homeassistant` credential takes its password entry
 * with it (`async_will_remove_credentials`), where a missing entry is no error ("Can happen if
 * somehow we didn't clean up a credential").
 */
export async function removeCredential(users: UserStore, passwords: HomeAssistantProvider, credential: Credential): Promise<void> {
  if (isHomeAssistant(credential)) {
    await passwords.removeAuth(usernameOf(credential)).catch((error: unknown) => {
      if (!isCoded(error, 'username_not_found')) throw error;
    });
  }
  await users.removeCredential(credential.id);
}

export function homeAssistantAccountService(users: UserStore, passwords: HomeAssistantProvider): HomeAssistantAccountService {
  /** HA's handlers take the first `homeassistant` credential of the user. */
  async function accountOf(userId: string): Promise<Credential> {
    const credential = (await users.listCredentials(userId)).find(isHomeAssistant);
    if (credential === undefined) throw new CodedError('credentials_not_found');
    return credential;
  }

  /** The admin commands answer `user_not_found` (not `not_found`) for an unknown user. */
  async function accountOfUser(userId: string): Promise<Credential> {
    if ((await users.getUser(userId)) === null) throw new CodedError('user_not_found');
    return accountOf(userId);
  }

  return {
    async addCredentials(userId, username, password) {
      const user = await users.getUser(userId);
      if (user === null) throw new CodedError('unknown_user');
      if (user.systemGenerated) throw new CodedError('system_generated');
      // addAuth refuses a username that is not normalized, so it is its own lookup key. The entry
      // and the credential in one step (HA's `async_get_or_create_credentials` then
      // `async_link_user`): a user's own credential that lost its entry is kept, another user's
      // refuses both (credential_taken).
      const credential = { id: newId(), userId, authProviderType: 'homeassistant', authProviderId: null, data: { username }, lookupKey: username };
      await passwords.addAuth(username, password, credential);
    },

    async removeByUsername(username) {
      const credential = await users.findCredential('homeassistant', null, normalizeUsername(username));
      // A stored credential goes with its entry; without one, only an entry may be there to remove.
      if (credential === null) await passwords.removeAuth(username);
      else await removeCredential(users, passwords, credential);
    },

    async changeOwnPassword(user, currentPassword, newPassword) {
      const username = usernameOf(await accountOf(user.id));
      if (!(await passwords.validateLogin(username, currentPassword))) throw new CodedError('invalid_current_password');
      await passwords.changePassword(username, newPassword);
    },

    async adminChangePassword(userId, password) {
      await passwords.changePassword(usernameOf(await accountOfUser(userId)), password);
    },

    async adminChangeUsername(userId, username) {
      const credential = await accountOfUser(userId);
      // With HA's `async_update_user_credentials_data`, in the same step. The provider checks only
      // password entries: a credential left without one may hold the new name, which the step refuses.
      const renamed = { ...credential, data: { ...credential.data, username }, lookupKey: username };
      await passwords.changeUsername(usernameOf(credential), username, renamed);
    },
  };
}
