/**
 * The audit trail in SQLite: one row per entry, indexed by record and by the entry's user; the oldest
 * rows beyond AUDIT_MAX_ENTRIES are deleted as new ones come (every 1000th append, so the trim stays
 * cheap). Per-record caps and the month of the Redis adapter follow from the global cap here. Held
 * entries (types.ts AuditHold) wait in `audit_held` until a kept entry of their record moves them into
 * `audit`, in order, or their `expires_at` passes (absent to reads, then swept).
 */
import type { Database } from 'better-sqlite3';
import type { AuditEntry, AuditHold, AuditLog } from '../types.js';
import { AUDIT_MAX_ENTRIES, AUDIT_MAX_PER_USER } from '../audit-limits.js';
import type { GroupCommit } from './group-commit.js';

const TRIM_EVERY = 1000;

/** Rows hold only what `append` wrote, so the JSON is an AuditEntry by construction. */
const decode = (row: { entry: string }): AuditEntry => JSON.parse(row.entry) as AuditEntry;

/**
 * Keeps entries inside the caller's unit (group-commit.ts): a record's write and its trail commit
 * together, in one savepoint (types.ts ActorRecords' `audit`).
 */
export type KeepAudit = (entries: readonly AuditEntry[]) => void;

export function sqliteAudit(db: Database, group: GroupCommit): AuditLog & { keepNow: KeepAudit } {
  const insert = db.prepare<[string, string]>('INSERT INTO audit (record_id, entry) VALUES (?, ?)');
  const hasKept = db.prepare<[string], { found: number }>('SELECT 1 AS found FROM audit WHERE record_id = ? LIMIT 1');
  const insertHeld = db.prepare<[string, string, number]>('INSERT INTO audit_held (record_id, entry, expires_at) VALUES (?, ?, ?)');
  const keepHeld = db.prepare<[string, number]>(
    'INSERT INTO audit (record_id, entry) SELECT record_id, entry FROM audit_held WHERE record_id = ? AND expires_at > ? ORDER BY seq',
  );
  const dropHeld = db.prepare<[string]>('DELETE FROM audit_held WHERE record_id = ?');
  const trim = db.prepare<[number]>('DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?');
  const newest = db.prepare<[number], { entry: string }>('SELECT entry FROM audit ORDER BY seq DESC LIMIT ?');
  const ofRecord = db.prepare<[string], { entry: string }>('SELECT entry FROM audit WHERE record_id = ? ORDER BY seq');
  const heldOfRecord = db.prepare<[string, number], { entry: string }>(
    'SELECT entry FROM audit_held WHERE record_id = ? AND expires_at > ? ORDER BY seq',
  );
  // The expression is the index's (schema.ts), word for word, so that the index serves it.
  const ofUser = db.prepare<[string, number], { entry: string }>(
    "SELECT entry FROM audit WHERE json_extract(entry, '$.userId') = ? ORDER BY seq DESC LIMIT ?",
  );
  let appended = 0;

  /** Returns how many rows it added to `audit`. */
  const append = (entry: AuditEntry, hold: AuditHold | undefined, now: number): number => {
    const json = JSON.stringify(entry);
    if (hold !== undefined && hasKept.get(entry.recordId) === undefined) {
      insertHeld.run(entry.recordId, json, now + hold.holdForMs);
      return 0;
    }
    const kept = keepHeld.run(entry.recordId, now).changes;
    dropHeld.run(entry.recordId);
    insert.run(entry.recordId, json);
    return kept + 1;
  };

  const counted = (added: number) => {
    if (Math.floor((appended + added) / TRIM_EVERY) > Math.floor(appended / TRIM_EVERY)) trim.run(AUDIT_MAX_ENTRIES);
    appended += added;
  };

  return {
    append: (entry, hold) => group.write((now) => counted(append(entry, hold, now))),
    // Only records that never hold entries keep them in their own write (types.ts ActorRecords'
    // `audit`): nothing of theirs can wait in `audit_held`, so no statement looks there.
    keepNow: (entries) => {
      for (const entry of entries) {
        insert.run(entry.recordId, JSON.stringify(entry));
        counted(1);
      }
    },
    tail: (limit) => group.read(() => newest.all(limit).map(decode).reverse()),
    // A record has kept entries or held ones, never both (types.ts AuditHold): one after the other is its order.
    forRecord: (recordId) => group.read((now) => [...ofRecord.all(recordId), ...heldOfRecord.all(recordId, now)].map(decode)),
    forUser: (userId, limit) => group.read(() => ofUser.all(userId, Math.max(0, Math.min(limit, AUDIT_MAX_PER_USER))).map(decode).reverse()),
  };
}
