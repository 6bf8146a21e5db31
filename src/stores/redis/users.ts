/** The Redis UserStore: users, their credentials, and the `homeassistant` provider's passwords. */
import type { UserStore } from '../types.js';
import { decodeCredential, decodeUser } from './codec.js';
import { redisCredentials } from './credentials.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';
import { redisPasswords } from './passwords.js';
import { redisUserRecords } from './user-records.js';

export function redisUsers(run: Run, keys: RedisKeys): UserStore {
  return {
    ...redisUserRecords(run, keys),
    ...redisCredentials(run, keys),
    ...redisPasswords(run, keys),
    // A user and a credential live under different keys: one script reads both.
    getUserWithCredential: async (userId, credentialId) => {
      const scriptKeys = [keys.users, ...(credentialId === null ? [] : [keys.credential(credentialId)])];
      const [user = null, credential = null] = await run('users.getUserWithCredential', (client) =>
        client.userWithCredential(scriptKeys, [userId]),
      );
      return { user: user === null ? null : decodeUser(user), credential: credential === null ? null : decodeCredential(credential) };
    },
  };
}
