/**
 * Load, compare-and-set and delete over one table of envelopes, shared by grants, flows and refresh
 * tokens. A row whose `expires_at <= now` is absent for every read and write (ARCHITECTURE.md,
 * "Expiry is data": the TTL only garbage-collects, but an expired row must never come back);
 * the sweeper deletes it later.
 *
 * better-sqlite3 is synchronous and this process holds the database exclusively, so a statement
 * and the read that follows it in the same call see the same state: no other write can come between.
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';
import type { ActorRecords, CasResult, Envelope, TtlChange } from '../types.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { ttlUpdate } from './envelope-rows.js';
import type { EnvelopeTable } from './schema.js';

export type EnvelopeTableOperations = Omit<ActorRecords, 'create'> & {
  /** Deletes the row `id` if it has expired, so that a create may take the id again. */
  dropIfExpired: (id: string, now: number) => void;
};

interface EnvelopeRow {
  envelope: string;
}

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

export function envelopeTable(db: Database, table: EnvelopeTable, clock: Clock, codec: EnvelopeCodec): EnvelopeTableOperations {
  const selectLive = db.prepare<{ id: string; now: number }, EnvelopeRow>(
    `SELECT envelope FROM ${table} WHERE id = @id AND ${LIVE}`,
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
    return row === undefined ? null : codec.decode(id, row.envelope);
  };

  // The failed write and the read of what is stored now happen in one synchronous call (types.ts:
  // "read in the same round trip"), so `current` is what beat us, never something newer.
  const compareAndSet = (id: string, expectedRev: number, next: Envelope, ttl: TtlChange): CasResult => {
    assertRev(next, expectedRev + 1);
    const now = clock();
    const params = { id, expectedRev, rev: next.rev, envelope: codec.encode(id, next), now, ...ttlUpdate(now, ttl) };
    if (update.run(params).changes === 1) return { ok: true };
    return { ok: false, current: loadAt(id, now) };
  };

  return {
    load: async (id) => loadAt(id, clock()),
    compareAndSet: async (id, expectedRev, next, ttl) => compareAndSet(id, expectedRev, next, ttl),
    delete: async (id) => {
      deleteRow.run(id);
    },
    dropIfExpired: (id, now) => {
      deleteExpired.run({ id, now });
    },
  };
}
