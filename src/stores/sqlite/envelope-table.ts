/**
 * Load, compare-and-set and delete over one table of envelopes, shared by grants, flows and refresh
 * tokens. A row whose `expires_at <= now` is absent for every read and write (ARCHITECTURE.md,
 * "Expiry is data": the TTL only garbage-collects, but an expired row must never come back);
 * the sweeper deletes it later.
 *
 * Each operation is one unit of group-commit.ts: synchronous statements (better-sqlite3) in a process
 * that holds the database exclusively, so a statement and the read that follows it in the same unit
 * see the same state: no other write can come between.
 */
import type { Database } from 'better-sqlite3';
import type { ActorRecords, AuditEntry, CasResult, Envelope, TtlChange } from '../types.js';
import type { KeepAudit } from './audit.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { ttlUpdate } from './envelope-rows.js';
import type { GroupCommit } from './group-commit.js';
import type { EnvelopeTable } from './schema.js';

export type EnvelopeTableOperations = Omit<ActorRecords, 'create'> & {
  /** Deletes the row `id` if it has expired, so that a create may take the id again. */
  dropIfExpired: (id: string, now: number) => void;
  /** `load` inside the caller's unit: what a failed write returns as stored. */
  loadNow: (id: string, now: number) => Envelope | null;
  /** `compareAndSet` with its entries, inside the caller's unit: for a write that does more (a rotation). */
  compareAndSetNow: (id: string, expectedRev: number, next: Envelope, ttl: TtlChange, audit: readonly AuditEntry[], now: number) => CasResult;
};

/** A row as `SELECT *` reads it: the envelope's text and the table's other columns. */
export interface EnvelopeRow {
  envelope: string;
  [column: string]: unknown;
}

/** How a table's rows become envelopes: by default the envelope column alone (refresh tokens merge their last use). */
export type RowDecoder = (id: string, row: EnvelopeRow) => Envelope;

interface CasParameters {
  id: string;
  expectedRev: number;
  rev: number;
  envelope: string;
  keepTtl: 0 | 1;
  expiresAt: number | null;
  now: number;
}

export const LIVE = '(expires_at IS NULL OR expires_at > @now)';

/** For tables whose records keep no audit in their writes: entries passed to them are a bug. */
export const NO_AUDIT: KeepAudit = (entries) => {
  if (entries.length > 0) throw new Error('this table keeps no audit entries');
};

/**
 * `codec` seals and opens the envelopes' secret fields (envelope-codec.ts); `keepAudit`: how the
 * table's writes keep the audit entries they are given (sqliteAudit's `keepNow`); `decodeRow`: how
 * its reads turn a row into an envelope.
 */
export function envelopeTable(
  db: Database,
  group: GroupCommit,
  table: EnvelopeTable,
  codec: EnvelopeCodec,
  keepAudit: KeepAudit = NO_AUDIT,
  decodeRow: RowDecoder = (id, row) => codec.decode(id, row.envelope),
): EnvelopeTableOperations {
  const selectLive = db.prepare<{ id: string; now: number }, EnvelopeRow>(
    `SELECT * FROM ${table} WHERE id = @id AND ${LIVE}`,
  );
  const update = db.prepare<CasParameters>(
    `UPDATE ${table}
       SET rev = @rev, envelope = @envelope, expires_at = CASE WHEN @keepTtl = 1 THEN expires_at ELSE @expiresAt END
     WHERE id = @id AND rev = @expectedRev AND ${LIVE}`,
  );
  const deleteExpired = db.prepare<{ id: string; now: number }>(`DELETE FROM ${table} WHERE id = @id AND expires_at <= @now`);
  const deleteRow = db.prepare<[string]>(`DELETE FROM ${table} WHERE id = ?`);

  const loadAt = (id: string, now: number): Envelope | null => {
    const row = selectLive.get({ id, now });
    return row === undefined ? null : decodeRow(id, row);
  };

  // The failed write and the read of what is stored now happen in one synchronous call (types.ts:
  // "read in the same round trip"), so `current` is what beat us, never something newer.
  // The record's write and its audit entries in one unit, so one savepoint of one commit.
  const compareAndSet = (id: string, expectedRev: number, next: Envelope, ttl: TtlChange, audit: readonly AuditEntry[], now: number): CasResult => {
    assertRev(next, expectedRev + 1);
    const params = { id, expectedRev, rev: next.rev, envelope: codec.encode(id, next), now, ...ttlUpdate(now, ttl) };
    if (update.run(params).changes !== 1) return { ok: false, current: loadAt(id, now) };
    keepAudit(audit);
    return { ok: true };
  };

  return {
    load: (id) => group.read((now) => loadAt(id, now)),
    compareAndSet: (id, expectedRev, next, ttl, audit = []) => group.write((now) => compareAndSet(id, expectedRev, next, ttl, audit, now)),
    delete: (id) =>
      group.write(() => {
        deleteRow.run(id);
      }),
    dropIfExpired: (id, now) => {
      deleteExpired.run({ id, now });
    },
    loadNow: loadAt,
    compareAndSetNow: compareAndSet,
  };
}
