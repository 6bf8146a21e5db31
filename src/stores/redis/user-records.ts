/**
 * Users: one hash `users` (id → User JSON), which is also the list of ids, plus the set `owners`
 * that makes "create the owner unless there is one" a single script (user-scripts.ts), as onboarding
 * needs when two requests race (homeassistant/components/onboarding/views.py).
 */
import type { UserStore } from '../types.js';
import { decodeUser } from './codec.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

type UserRecords = Pick<UserStore, 'createUser' | 'getUser' | 'listUsers' | 'updateUser' | 'deleteUser'>;

const flag = (value: boolean | undefined) => (value === true ? '1' : '0');

export function redisUserRecords(run: Run, keys: RedisKeys): UserRecords {
  const userKeys = [keys.users, keys.owners];
  return {
    createUser: async (user, options) => {
      const args = [user.id, JSON.stringify(user), flag(options?.asOwner), flag(user.isOwner)];
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
      const { prefix, stems } = keys;
      const args = [id, prefix, stems.credential, stems.userCredentials];
      await run.write('users.deleteUser', (client) => client.userDelete([...userKeys, keys.userCredentials(id), keys.mfa(id)], args));
    },
  };
}
