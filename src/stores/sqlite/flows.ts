/**
 * Login flows: envelope rows (actor-records.ts), opened within their client's limit (types.ts
 * FlowStore.openFor). `flow_clients` names the client of each flow opened that way; its rows go with
 * their flow (`ON DELETE CASCADE`), so the client's live flows are its rows whose flow is live.
 */
import type { Database } from 'better-sqlite3';
import type { EnvelopeCodec } from '../envelope-codec.js';
import type { Envelope, FlowOpening, FlowStore } from '../types.js';
import { envelopeInsert, sqliteActorRecords } from './actor-records.js';
import { LIVE } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';

interface OpenFlows {
  open: number;
  oldestExpiry: number | null;
}

export function sqliteFlows(db: Database, group: GroupCommit, codec: EnvelopeCodec): FlowStore {
  const create = envelopeInsert(db, group, 'flows', codec);
  const countOpen = db.prepare<{ key: string; now: number }, OpenFlows>(
    `SELECT count(*) AS open, min(expires_at) AS oldestExpiry
       FROM flow_clients JOIN flows ON flows.id = flow_clients.flow_id
      WHERE client_key = @key AND ${LIVE}`,
  );
  const insertClient = db.prepare<[string, string]>('INSERT INTO flow_clients (flow_id, client_key) VALUES (?, ?)');

  // One unit: the count and the write it allows, with nothing in between.
  const openFor = (id: string, envelope: Envelope, ttlMs: number, client: { key: string; limit: number }, now: number): FlowOpening => {
    const { open, oldestExpiry } = countOpen.get({ key: client.key, now }) ?? { open: 0, oldestExpiry: null };
    if (open >= client.limit) return { opened: false, reason: 'limit', retryAfterMs: Math.max(1, (oldestExpiry ?? now + ttlMs) - now) };
    if (!create(id, envelope, ttlMs, now)) return { opened: false, reason: 'taken' };
    insertClient.run(id, client.key);
    return { opened: true };
  };

  return {
    ...sqliteActorRecords(db, group, 'flows', codec),
    openFor: (id, envelope, ttlMs, client) => group.write((now) => openFor(id, envelope, ttlMs, client, now)),
  };
}
