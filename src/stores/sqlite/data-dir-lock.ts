/**
 * The embedded store serves a single instance (ARCHITECTURE.md, "Stores"): two processes writing
 * one DATA_DIR would each believe their compare-and-set is the only writer. So the first process
 * takes SQLite's own exclusive lock on the database file and keeps it until it closes.
 *
 * The lock is an OS file lock held by the connection, not a pid file: the kernel drops it when the
 * process ends, even on kill -9, so a crash never leaves a stale lock behind.
 */
import type { Database } from 'better-sqlite3';

/** Another process holds the data directory; the message names it so the operator can act. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    options?: { cause?: unknown },
  ) {
    super(`DATA_DIR ${dataDir} is in use by another hass-auth process`, options);
    this.name = 'DataDirLockedError';
  }
}

/**
 * Takes the exclusive lock, or throws DataDirLockedError at once.
 *
 * `locking_mode = EXCLUSIVE` makes the connection keep every lock it gets; it must precede the first
 * WAL access so that WAL keeps its index in heap memory instead of a shared `-shm` file. The empty
 * `BEGIN EXCLUSIVE` transaction then acquires the write lock now rather than at the first real write.
 * The caller opened the connection with busy_timeout 0, so a held lock fails fast instead of waiting.
 */
export function lockDataDir(db: Database, dataDir: string): void {
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    if (isBusy(error)) throw new DataDirLockedError(dataDir, { cause: error });
    throw error;
  }
}

function isBusy(error: unknown): boolean {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('SQLITE_BUSY');
}
