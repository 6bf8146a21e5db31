/**
 * `hass-auth user set-owner USERNAME`: how an operator names the owner when there is none (an admin
 * deleted it, as Home Assistant allows) or hands the role on. Onboarding stays done either way
 * (stores/types.ts OnboardingState), so the command line is the way to a new owner, not
 * `POST /api/onboarding/users`. Not part of Home Assistant's script; its words follow it
 * ("User not found" is a printed result with exit code 0).
 *
 * The owner is the user that logs in with USERNAME; a login that has not logged in yet gets its
 * user here, as its first login would make it (services/users/users.ts). The user is made active (Home
 * Assistant refuses to deactivate an owner), and the previous owner, if any, stays as the user it
 * was, without the role: there is one owner.
 */
import type { LoginCredential } from '../../machines/credential.js';
import { systemClock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import { normalizeUsername } from '../services/providers/password-store.js';
import { userService } from '../services/users/users.js';
import type { User } from '../domain/models.js';
import type { CliCommand, CliContext } from './command.js';

/** The user that logs in with `username`, made now when the login has none yet; null for no such login. */
async function userLoggingInAs({ store, provider }: CliContext, username: string): Promise<User | null> {
  const wanted = normalizeUsername(username);
  const stored = await store.users.findCredential('homeassistant', null, wanted);
  if (stored !== null) return store.users.getUser(stored.userId);
  if (!(await provider.listUsernames()).includes(wanted)) return null;
  const credential: LoginCredential = { id: newId(), authProviderType: 'homeassistant', authProviderId: null, data: { username: wanted }, lookupKey: wanted };
  return userService(store, systemClock).getOrCreateUser(credential);
}

export const setOwnerCommand: CliCommand = {
  words: ['user', 'set-owner'],
  args: ['USERNAME'],
  summary: 'make the user that logs in with USERNAME the owner',
  async run(context, [username = '']) {
    const user = await userLoggingInAs(context, username);
    if (user === null) {
      context.out('User not found');
      return;
    }
    const { users } = context.store;
    for (const previous of await users.listUsers()) {
      if (previous.isOwner && previous.id !== user.id) await users.updateUser({ ...previous, isOwner: false });
    }
    await users.updateUser({ ...user, isOwner: true, isActive: true });
    context.out('Owner set');
  },
};
