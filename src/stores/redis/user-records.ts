/**
 * Users: one hash `users` (id → User JSON), which is also the list of ids, plus the set `owners`
 * that makes "create the owner unless there is one" a single script (user-scripts.ts), as onboarding
 * needs when two requests race (homeassistant/components/onboarding/views.py), and the string
 * `onboarded`, the onboarding mark (types.ts OnboardingState), written by the same scripts.
 */
import { MARKED_WITHOUT_OWNER } from '../onboarding-state.js';
import type { UserStore } from '../types.js';
import { decodeUser } from './codec.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

type UserRecords = Pick<
  UserStore,
  'createUser' | 'getUser' | 'listUsers' | 'updateUser' | 'deleteUser' | 'isOnboarded' | 'markOnboarded' | 'undoOnboarding'
>;

const flag = (value: boolean | undefined) => (value === true ? '1' : '0');

export function redisUserRecords(run: Run, keys: RedisKeys): UserRecords {
  const userKeys = [keys.users, keys.owners, keys.onboarded];
  /** What userDelete and onboardingUndo take: the user's keys and the stems of its credentials'. */
  const deletion = (id: string) => ({
    keys: [keys.users, keys.owners, keys.userCredentials(id), keys.mfa(id), keys.onboarded],
    args: [id, keys.directory, keys.stems.credential, keys.stems.userCredentials],
  });
  return {
    createUser: async (user, options) => {
      const args = [user.id, JSON.stringify(user), flag(options?.asOwner), flag(user.isOwner), flag(options?.onboarding)];
      return (await run.write('users.createUser', (client) => client.userCreate(userKeys, args))) === 1;
    },
    getUser: async (id) => {
      const text = await run('users.getUser', (client) => client.hGet(keys.users, id));
      return text === null ? null : decodeUser(text);
    },
    listUsers: async () => {
      const texts = await run('users.listUsers', (client) => client.hVals(keys.users));
      return texts.map(decodeUser);
    },
    updateUser: async (user) => {
      const args = [user.id, JSON.stringify(user), flag(user.isOwner)];
      return (await run.write('users.updateUser', (client) => client.userUpdate(userKeys, args))) === 1;
    },
    deleteUser: async (id) => {
      const { keys: scriptKeys, args } = deletion(id);
      await run.write('users.deleteUser', (client) => client.userDelete(scriptKeys, args));
    },
    isOnboarded: async () => (await run('users.isOnboarded', (client) => client.onboardingState([keys.onboarded, keys.owners], []))) === 1,
    markOnboarded: async () => {
      await run.write('users.markOnboarded', (client) => client.set(keys.onboarded, MARKED_WITHOUT_OWNER, { condition: 'NX' }));
    },
    undoOnboarding: async (ownerId) => {
      const { keys: scriptKeys, args } = deletion(ownerId);
      return (await run.write('users.undoOnboarding', (client) => client.onboardingUndo(scriptKeys, args))) === 1;
    },
  };
}
