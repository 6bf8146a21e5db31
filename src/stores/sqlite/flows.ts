/**
 * Login flows: envelope rows (actor-records.ts), opened within their client's limit (types.ts
 * FlowStore.openFor). `flow_clients` names the client of each flow opened that way; its rows go with
 * their flow (`ON DELETE CASCADE`), so the client's live flows are its rows whose flow is live.
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';
import type { EnvelopeCodec } from '../envelope-codec.js';
import type { Envelope, FlowOpening, FlowStore } from '../types.js';
import { envelopeInsert, sqliteActorRecords } from './actor-records.js';
import { LIVE } from './envelope-table.js';

interface OpenFlows {
  open: number;
  oldestExpiry: number | null;
}

export function sqliteFlows(db: Database, clock: Clock, codec: EnvelopeCodec): FlowStore {
  const create = envelopeInsert(db, 'flows', clock, codec);
  const countOpen = db.prepare<{ key: string; now: number }, OpenFlows>(
    `SELECT count(*) AS open, min(expires_at) AS oldestExpiry
       FROM flow_clients JOIN flows ON flows.id = flow_clients.flow_id
      WHERE client_key = @key AND ${LIVE}`,
  );
  const insertClient = db.prepare<[string, string]>('INSERT INTO flow_clients (flow_id, client_key) VALUES (?, ?)');

  // One transaction: the count and the write it allows, with nothing in between.
  const openFor = db.transaction((id: string, envelope: Envelope, ttlMs: number, client: { key: string; limit: number }): FlowOpening => {
    const now = clock();
    const { open, oldestExpiry } = countOpen.get({ key: client.key, now }) ?? { open: 0, oldestExpiry: null };
    if (open >= client.limit) return { opened: false, reason: 'limit', retryAfterMs: Math.max(1, (oldestExpiry ?? now + ttlMs) - now) };
    if (!create(id, envelope, ttlMs)) return { opened: false, reason: 'taken' };
    insertClient.run(id, client.key);
    return { opened: true };
  });

  return { ...sqliteActorRecords(db, 'flows', clock, codec), openFor: async (id, envelope, ttlMs, client) => openFor(id, envelope, ttlMs, client) };
}
