/**
 * Login grants, login flows and MFA setup flows: envelopes under an id with a TTL (ARCHITECTURE.md,
 * "Lifecycles": a grant is kept 10 minutes from issue, a flow for the flow TTL).
 */
import type { Database } from 'better-sqlite3';
import type { ActorRecords, AuditEntry, Envelope } from '../types.js';
import type { KeepAudit } from './audit.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { expiresAt } from './envelope-rows.js';
import { envelopeTable, NO_AUDIT } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';
import type { EnvelopeTable } from './schema.js';

type ActorTable = 'grants' | 'flows' | 'mfa_setup_flows';

interface InsertParameters {
  id: string;
  rev: number;
  envelope: string;
  expiresAt: number | null;
}

/**
 * `create` as synchronous statements, for a unit of group-commit.ts, whose savepoint makes them one
 * write, and for units that write more in the same one (flows.ts).
 */
export function envelopeInsert(
  db: Database,
  group: GroupCommit,
  table: ActorTable,
  codec: EnvelopeCodec,
  keepAudit: KeepAudit = NO_AUDIT,
): (id: string, envelope: Envelope, ttlMs: number | null, now: number, audit?: readonly AuditEntry[]) => boolean {
  const { dropIfExpired } = envelopeTable(db, group, table satisfies EnvelopeTable, codec);
  const insert = db.prepare<InsertParameters>(
    `INSERT INTO ${table} (id, rev, envelope, expires_at) VALUES (@id, @rev, @envelope, @expiresAt)
     ON CONFLICT DO NOTHING`,
  );
  // An expired row still holding the id is garbage the sweeper has not reached yet: it gives way.
  return (id: string, envelope: Envelope, ttlMs: number | null, now: number, audit: readonly AuditEntry[] = []): boolean => {
    assertRev(envelope, 1);
    dropIfExpired(id, now);
    const row = { id, rev: envelope.rev, envelope: codec.encode(id, envelope), expiresAt: expiresAt(now, ttlMs) };
    if (insert.run(row).changes !== 1) return false;
    keepAudit(audit);
    return true;
  };
}

/** `keepAudit`: how the table's writes keep the audit entries they are given (sqliteAudit's `keepNow`). */
export function sqliteActorRecords(db: Database, group: GroupCommit, table: ActorTable, codec: EnvelopeCodec, keepAudit?: KeepAudit): ActorRecords {
  const { load, compareAndSet, delete: remove } = envelopeTable(db, group, table, codec, keepAudit);
  const create = envelopeInsert(db, group, table, codec, keepAudit);
  return { load, compareAndSet, delete: remove, create: (id, envelope, ttlMs, audit) => group.write((now) => create(id, envelope, ttlMs, now, audit)) };
}
