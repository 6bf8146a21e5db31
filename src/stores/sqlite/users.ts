/** The embedded UserStore: users, their credentials, and the `homeassistant` provider's passwords. */
import type { Database } from 'better-sqlite3';
import type { UserStore } from '../types.js';
import { sqliteCredentials } from './credentials.js';
import type { GroupCommit } from './group-commit.js';
import { sqlitePasswords } from './passwords.js';
import { sqliteUserRecords } from './user-records.js';

export function sqliteUsers(db: Database, group: GroupCommit): UserStore {
  return {
    ...sqliteUserRecords(db, group),
    ...sqliteCredentials(db, group),
    ...sqlitePasswords(db, group),
  };
}
