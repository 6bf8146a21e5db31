/** The embedded UserStore: users, their credentials, and the `homeassistant` provider's passwords. */
import type { Database } from 'better-sqlite3';
import type { UserStore } from '../types.js';
import { sqliteCredentials } from './credentials.js';
import { sqlitePasswords } from './passwords.js';
import { sqliteUserRecords } from './user-records.js';

export function sqliteUsers(db: Database): UserStore {
  return {
    ...sqliteUserRecords(db),
    ...sqliteCredentials(db),
    ...sqlitePasswords(db),
  };
}
