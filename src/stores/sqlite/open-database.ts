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
  // A 200 answer means the token, code or user is stored. SQLite's own words
  // (https://www.sqlite.org/pragma.html#pragma_synchronous): transactions are durable across
  // application crashes whatever the setting, and in WAL mode NORMAL stays consistent but a commit
  // "might roll back following a power loss or system crash"; FULL syncs the WAL at every commit
  // (https://www.sqlite.org/wal.html#performance_considerations), so an acknowledged write survives
  // those too. An fsync per commit is cheap at an auth service's write rate. The kill -9 half is
  // what test/cluster/embedded-durability.test.ts checks; a power loss no test here can make.
  db.pragma('synchronous = FULL');
  // Each write of a group commit runs in a savepoint (group-commit.ts), whose sub-journal keeps the
  // original of every page the write changes, in case it rolls back. By default that journal spills
  // to a temporary file past 64 KiB, which a commit of a few dozen writes always passed: about six
  // 4 KiB writes to that file per refresh grant, more than to the WAL. In memory it costs a copy,
  // and holds nothing durable (https://www.sqlite.org/tempfiles.html#stmtjrnl).
  db.pragma('temp_store = MEMORY');
  // Credentials belong to users: deleting a user deletes its credentials (UserStore.deleteUser).
  db.pragma('foreign_keys = ON');
  applySchema(db);
  return db;
}
