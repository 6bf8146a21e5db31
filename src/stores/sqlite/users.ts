/** The embedded UserStore: users, their credentials, and the `homeassistant` provider's passwords. */
import type { Database } from 'better-sqlite3';
import type { UserStore } from '../types.js';
import { sqliteCredentials } from './credentials.js';
import { sqlitePasswords } from './passwords.js';
import { sqliteUserRecords } from './user-records.js';

export function sqliteUsers(db: Database): UserStore {
  const records = sqliteUserRecords(db);
  const credentials = sqliteCredentials(db);
  return {
    ...records,
    ...credentials,
    ...sqlitePasswords(db),
    // Two synchronous statements in one call: nothing can write between them.
    getUserWithCredential: async (userId, credentialId) => {
      const [user, credential] = await Promise.all([records.getUser(userId), credentialId === null ? null : credentials.getCredential(credentialId)]);
      return { user, credential };
    },
  };
}
