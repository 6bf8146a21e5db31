/** The embedded UserStore: users, their credentials, and the `homeassistant` provider's passwords. */
import type { Database } from 'better-sqlite3';
import type { UserStore } from '../types.js';
import { sqliteCredentials } from './credentials.js';
import type { GroupCommit } from './group-commit.js';
import { sqlitePasswords } from './passwords.js';
import { sqliteUserRecords } from './user-records.js';

export function sqliteUsers(db: Database, group: GroupCommit): UserStore {
  const records = sqliteUserRecords(db, group);
  const credentials = sqliteCredentials(db, group);
  return {
    ...records,
    ...credentials,
    ...sqlitePasswords(db, group),
    // Two reads asked in one call run back to back (at once, or one after the other in the same
    // batch, group-commit.ts): nothing can write between them.
    getUserWithCredential: async (userId, credentialId) => {
      const [user, credential] = await Promise.all([records.getUser(userId), credentialId === null ? null : credentials.getCredential(credentialId)]);
      return { user, credential };
    },
  };
}
