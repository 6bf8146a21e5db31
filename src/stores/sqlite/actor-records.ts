/**
 * Login grants, login flows and MFA setup flows: envelopes under an id with a TTL (ARCHITECTURE.md,
 * "Lifecycles": a grant is kept 10 minutes from issue, a flow for the flow TTL).
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';
import type { ActorRecords, Envelope } from '../types.js';
import { assertRev, encodeEnvelope } from '../envelope-codec.js';
import { expiresAt } from './envelope-rows.js';
import { envelopeTable } from './envelope-table.js';
import type { EnvelopeTable } from './schema.js';

interface InsertParameters {
  id: string;
  rev: number;
  envelope: string;
  expiresAt: number | null;
}

export function sqliteActorRecords(db: Database, table: 'grants' | 'flows' | 'mfa_setup_flows', clock: Clock): ActorRecords {
  const { dropIfExpired, ...operations } = envelopeTable(db, table satisfies EnvelopeTable, clock);
  const insert = db.prepare<InsertParameters>(
    `INSERT INTO ${table} (id, rev, envelope, expires_at) VALUES (@id, @rev, @envelope, @expiresAt)
     ON CONFLICT DO NOTHING`,
  );

  // An expired row still holding the id is garbage the sweeper has not reached yet: it gives way.
  const create = db.transaction((id: string, envelope: Envelope, ttlMs: number | null): boolean => {
    assertRev(envelope, 1);
    const now = clock();
    dropIfExpired(id, now);
    const row = { id, rev: envelope.rev, envelope: encodeEnvelope(envelope), expiresAt: expiresAt(now, ttlMs) };
    return insert.run(row).changes === 1;
  });

  return { ...operations, create: async (id, envelope, ttlMs) => create(id, envelope, ttlMs) };
}
