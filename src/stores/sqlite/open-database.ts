/**
 * Opens the embedded store's database: `hass-auth.db` in DATA_DIR, locked, in WAL mode, with the
 * schema applied. `:memory:` opens a private in-memory database (no file, no lock) for unit tests.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Connection } from 'better-sqlite3';
import { lockDataDir } from './data-dir-lock.js';
import { applySchema } from './schema.js';

export const DATABASE_FILE = 'hass-auth.db';

export function openDatabase(dataDir: string): Connection {
  if (dataDir === ':memory:') return configure(new Database(':memory:'));
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  // busy_timeout 0: a data directory held by another process must fail the open now, not in 5 s.
  const db = new Database(join(dir, DATABASE_FILE), { timeout: 0 });
  try {
    lockDataDir(db, dir);
    return configure(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

function configure(db: Connection): Connection {
  // A 200 answer means the token, code or user is stored. With WAL, synchronous=NORMAL already
  // survives kill -9 (the commit reached the OS), but may lose the last commits on an OS crash or
  // power loss; FULL fsyncs the WAL at each commit so an acknowledged write survives those too.
  // An fsync per commit is cheap at an auth service's write rate.
  db.pragma('synchronous = FULL');
  // Credentials belong to users: deleting a user deletes its credentials (UserStore.deleteUser).
  db.pragma('foreign_keys = ON');
  applySchema(db);
  return db;
}
