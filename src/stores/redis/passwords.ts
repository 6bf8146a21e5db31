/**
 * The `homeassistant` auth provider's entries: one hash `passwords`, username → password hash (the
 * base64 of the bcrypt hash, stored as given, as in `.storage/auth_provider.homeassistant`). A hash
 * makes add-if-absent one HSETNX and the listing one HGETALL.
 */
import type { UserStore } from '../types.js';
import type { PasswordEntry } from '../../domain/models.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

type PasswordRecords = Pick<UserStore, 'addPassword' | 'getPassword' | 'setPassword' | 'deletePassword' | 'listPasswords'>;

export function redisPasswords(run: Run, keys: RedisKeys): PasswordRecords {
  return {
    addPassword: async ({ username, passwordHash }) =>
      (await run.write('users.addPassword', (client) => client.hSetNX(keys.passwords, username, passwordHash))) === 1,
    getPassword: async (username) => {
      const passwordHash = await run('users.getPassword', (client) => client.hGet(keys.passwords, username));
      return passwordHash === null ? null : { username, passwordHash };
    },
    setPassword: async ({ username, passwordHash }) =>
      (await run.write('users.setPassword', (client) => client.passwordReplace([keys.passwords], [username, passwordHash]))) === 1,
    deletePassword: async (username) => {
      await run.write('users.deletePassword', (client) => client.hDel(keys.passwords, username));
    },
    listPasswords: async (): Promise<PasswordEntry[]> => {
      const all = await run('users.listPasswords', (client) => client.hGetAll(keys.passwords));
      return Object.entries(all).map(([username, passwordHash]) => ({ username, passwordHash }));
    },
  };
}
