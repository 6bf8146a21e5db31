/**
 * Users and who may authenticate (homeassistant/auth/__init__.py, homeassistant/components/http/auth.py).
 *
 * - The owner is the first non-system user created on purpose (onboarding); the store makes "only
 *   one owner" atomic across instances, and marks onboarding done with it for good: deleting the
 *   owner later leaves the other users working and onboarding closed (an operator names a new
 *   owner with `hass-auth user set-owner`).
 * - A credential seen for the first time gets a new user when its code is exchanged, in
 *   `system-admin` as Home Assistant does (`async_get_or_create_user`), never owner; except a
 *   trusted_networks credential, which always names an existing user (that provider creates none).
 * - `notAllowedReason` is `async_user_not_allowed_do_auth` with its exact texts; this service has no
 *   Nabu Casa cloud, so the cloud branch never applies.
 */
import type { LoginCredential } from '../../../machines/credential.js';
import type { Clock } from '../../domain/clock.js';
import { CodedError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { isLocal, parseIp } from '../../domain/network.js';
import type { Store } from '../../stores/types.js';
import type { Credential, User } from '../../domain/models.js';

export const GROUP_ID_ADMIN = 'system-admin';
export const GROUP_ID_USER = 'system-users';
export const GROUP_ID_READ_ONLY = 'system-read-only';

/** Providers whose `async_user_meta_for_credentials` raises: their logins never make a user. */
const PROVIDERS_WITHOUT_NEW_USERS = new Set(['trusted_networks']);

export interface UserService {
  getUser(id: string): Promise<User | null>;
  /** Home Assistant's onboarding "user" step is done (the store's mark, stores/types.ts OnboardingState). */
  isOnboarded(): Promise<boolean>;
  /** Creates onboarding's owner, which marks the step done; null when it is done already. */
  createOwner(name: string): Promise<User | null>;
  /** Removes the owner `createOwner` made when onboarding then failed, with its credentials, and reopens the step. */
  undoOwner(id: string): Promise<void>;
  /** Links a credential to a user; false when the credential is linked already. */
  link(user: User, credential: LoginCredential): Promise<boolean>;
  userOf(credential: LoginCredential): Promise<User | null>;
  /** The credentials linked to the user. */
  credentialsOf(userId: string): Promise<Credential[]>;
  /**
   * Rejects with `user_gone` (HA's `ValueError("Unable to find the user.")`) for the credential of a
   * provider that never creates users, whose user is gone.
   */
  getOrCreateUser(credential: LoginCredential): Promise<User>;
  notAllowedReason(user: User, remoteIp: string | null): string | null;
}

export function userService(store: Store, clock: Clock): UserService {
  const newUser = (name: string | null, isOwner: boolean): User => ({
    id: newId(),
    name,
    isOwner,
    isActive: true,
    systemGenerated: false,
    localOnly: false,
    groupIds: [GROUP_ID_ADMIN],
    createdAt: clock(),
  });

  const service: UserService = {
    getUser: (id) => store.users.getUser(id),
    isOnboarded: () => store.users.isOnboarded(),

    async createOwner(name) {
      const owner = newUser(name, true);
      return (await store.users.createUser(owner, { asOwner: true, onboarding: true })) ? owner : null;
    },

    async undoOwner(id) {
      await store.users.undoOnboarding(id);
    },

    link: (user, credential) => store.users.addCredential({ ...credential, userId: user.id }),

    async userOf(credential) {
      const { authProviderType, authProviderId, lookupKey } = credential;
      const stored = await store.users.findCredential(authProviderType, authProviderId, lookupKey);
      return stored === null ? null : store.users.getUser(stored.userId);
    },

    credentialsOf: (userId) => store.users.listCredentials(userId),
    async getOrCreateUser(credential) {
      const existing = await service.userOf(credential);
      if (existing !== null) return existing;
      if (PROVIDERS_WITHOUT_NEW_USERS.has(credential.authProviderType)) throw new CodedError('user_gone');
      const user = newUser(credential.data.username ?? null, false);
      await store.users.createUser(user);
      if (await service.link(user, credential)) return user;
      // Another instance linked the same credential first: keep its user, drop ours.
      await store.users.deleteUser(user.id);
      const winner = await service.userOf(credential);
      if (winner === null) throw new Error(`credential ${credential.id} is linked to no user`);
      return winner;
    },

    notAllowedReason,
  };
  return service;
}

/** `async_user_not_allowed_do_auth` (ha-auth-spec §9.2), with its exact texts; `remoteIp` is the client's, after trusted proxies. */
export function notAllowedReason(user: User, remoteIp: string | null): string | null {
  if (!user.isActive) return 'User is not active';
  if (!user.localOnly) return null;
  if (remoteIp === null) return 'No request available to validate local access';
  const ip = parseIp(remoteIp);
  if (ip === null) return 'Invalid remote IP';
  return isLocal(ip) ? null : 'User cannot authenticate remotely';
}

/** Home Assistant's `User.is_admin`: the owner, or an active member of `system-admin`. */
export function isAdmin(user: User): boolean {
  return user.isOwner || (user.isActive && user.groupIds.includes(GROUP_ID_ADMIN));
}
