/**
 * Login grants, login flows and MFA setup flows: envelopes under an id with a TTL (ARCHITECTURE.md,
 * "Lifecycles": a grant is kept 10 minutes from issue, a flow for the flow TTL).
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';
import type { ActorRecords, Envelope } from '../types.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { expiresAt } from './envelope-rows.js';
import { envelopeTable } from './envelope-table.js';
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
  codec: EnvelopeCodec,
): (id: string, envelope: Envelope, ttlMs: number | null) => boolean {
  const { dropIfExpired } = envelopeTable(db, table satisfies EnvelopeTable, clock, codec);
  const insert = db.prepare<InsertParameters>(
    `INSERT INTO ${table} (id, rev, envelope, expires_at) VALUES (@id, @rev, @envelope, @expiresAt)
     ON CONFLICT DO NOTHING`,
  );
  // An expired row still holding the id is garbage the sweeper has not reached yet: it gives way.
  return db.transaction((id: string, envelope: Envelope, ttlMs: number | null): boolean => {
    assertRev(envelope, 1);
    const now = clock();
    dropIfExpired(id, now);
    const row = { id, rev: envelope.rev, envelope: codec.encode(id, envelope), expiresAt: expiresAt(now, ttlMs) };
    return insert.run(row).changes === 1;
  });
}

export function sqliteActorRecords(db: Database, table: ActorTable, clock: Clock, codec: EnvelopeCodec): ActorRecords {
  const { load, compareAndSet, delete: remove } = envelopeTable(db, table, clock, codec);
  const create = envelopeInsert(db, table, clock, codec);
  return { load, compareAndSet, delete: remove, create: async (id, envelope, ttlMs) => create(id, envelope, ttlMs) };
}
