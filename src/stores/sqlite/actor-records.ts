/**
 * Login grants, login flows and MFA setup flows: envelopes under an id with a TTL (ARCHITECTURE.md,
 * "Lifecycles": a grant is kept 10 minutes from issue, a flow for the flow TTL).
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';
import type { ActorRecords, AuditEntry, Envelope } from '../types.js';
import type { KeepAudit } from './audit.js';
import { assertRev, encodeEnvelope } from '../envelope-codec.js';
import { expiresAt } from './envelope-rows.js';
import { envelopeTable, NO_AUDIT } from './envelope-table.js';
import type { EnvelopeTable } from './schema.js';

type ActorTable = 'grants' | 'flows' | 'mfa_setup_flows';

interface InsertParameters {
  id: string;
  rev: number;
  envelope: string;
  expiresAt: number | null;
}

/** `create` as a synchronous transaction, for callers that write more in the same one (flows.ts). */
export function envelopeInsert(
  db: Database,
  table: ActorTable,
  clock: Clock,
  keepAudit: KeepAudit = NO_AUDIT,
): (id: string, envelope: Envelope, ttlMs: number | null, audit?: readonly AuditEntry[]) => boolean {
  const { dropIfExpired } = envelopeTable(db, table satisfies EnvelopeTable, clock);
  const insert = db.prepare<InsertParameters>(
    `INSERT INTO ${table} (id, rev, envelope, expires_at) VALUES (@id, @rev, @envelope, @expiresAt)
     ON CONFLICT DO NOTHING`,
  );
  // An expired row still holding the id is garbage the sweeper has not reached yet: it gives way.
  return db.transaction((id: string, envelope: Envelope, ttlMs: number | null, audit: readonly AuditEntry[] = []): boolean => {
    assertRev(envelope, 1);
    const now = clock();
    dropIfExpired(id, now);
    const row = { id, rev: envelope.rev, envelope: encodeEnvelope(envelope), expiresAt: expiresAt(now, ttlMs) };
    if (insert.run(row).changes !== 1) return false;
    keepAudit(audit);
    return true;
  });
}

/** `keepAudit`: how the table's writes keep the audit entries they are given (sqliteAudit's `keepNow`). */
export function sqliteActorRecords(db: Database, table: ActorTable, clock: Clock, keepAudit?: KeepAudit): ActorRecords {
  const { load, compareAndSet, delete: remove } = envelopeTable(db, table, clock, keepAudit);
  const create = envelopeInsert(db, table, clock, keepAudit);
  return { load, compareAndSet, delete: remove, create: async (id, envelope, ttlMs, audit) => create(id, envelope, ttlMs, audit) };
}
