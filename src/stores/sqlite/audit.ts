/**
 * The audit trail in SQLite: one row per entry, indexed by record and by the entry's user; the oldest
 * rows beyond AUDIT_MAX_ENTRIES are deleted as new ones come (every 1000th append, so the trim stays
 * cheap). Per-record caps and the month of the Redis adapter follow from the global cap here.
 */
import type { Database } from 'better-sqlite3';
import type { AuditEntry, AuditLog } from '../types.js';
import { AUDIT_MAX_ENTRIES, AUDIT_MAX_PER_USER } from '../audit-limits.js';

const TRIM_EVERY = 1000;

/** Rows hold only what `append` wrote, so the JSON is an AuditEntry by construction. */
const decode = (row: { entry: string }): AuditEntry => JSON.parse(row.entry) as AuditEntry;

export function sqliteAudit(db: Database): AuditLog {
  const insert = db.prepare<[string, string]>('INSERT INTO audit (record_id, entry) VALUES (?, ?)');
  const trim = db.prepare<[number]>('DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?');
  const newest = db.prepare<[number], { entry: string }>('SELECT entry FROM audit ORDER BY seq DESC LIMIT ?');
  const ofRecord = db.prepare<[string], { entry: string }>('SELECT entry FROM audit WHERE record_id = ? ORDER BY seq');
  // The expression is the index's (schema.ts), word for word, so that the index serves it.
  const ofUser = db.prepare<[string, number], { entry: string }>(
    "SELECT entry FROM audit WHERE json_extract(entry, '$.userId') = ? ORDER BY seq DESC LIMIT ?",
  );
  let appended = 0;
  return {
    append: async (entry) => {
      insert.run(entry.recordId, JSON.stringify(entry));
      appended += 1;
      if (appended % TRIM_EVERY === 0) trim.run(AUDIT_MAX_ENTRIES);
    },
    tail: async (limit) => newest.all(limit).map(decode).reverse(),
    forRecord: async (recordId) => ofRecord.all(recordId).map(decode),
    forUser: async (userId, limit) => ofUser.all(userId, Math.max(0, Math.min(limit, AUDIT_MAX_PER_USER))).map(decode).reverse(),
  };
}
