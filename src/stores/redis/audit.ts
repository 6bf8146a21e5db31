/**
 * The audit trail in Redis: a capped stream `<p>audit` (XADD MAXLEN ~) for the newest entries of
 * the deployment, a list per record `<p>audit:<recordId>` (trimmed, with a month's TTL) for one
 * record's history, and likewise a list per user `<p>audit-user:<userId>` for entries that name
 * one, all written by one script. Held entries (types.ts AuditHold) wait in `<p>audit-held:<recordId>`
 * with their hold as TTL, until a kept entry of the record moves them into the others.
 */
import type { AuditEntry, AuditLog } from '../types.js';
import { AUDIT_MAX_ENTRIES, AUDIT_MAX_PER_RECORD, AUDIT_MAX_PER_USER, AUDIT_RECORD_TTL_MS } from '../audit-limits.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

const decode = (text: string): AuditEntry => JSON.parse(text) as AuditEntry;

const LIMITS = [String(AUDIT_MAX_ENTRIES), String(AUDIT_MAX_PER_RECORD), String(AUDIT_RECORD_TTL_MS), String(AUDIT_MAX_PER_USER)];

/**
 * The keys and arguments a write appends for the entries it keeps (scripts/audit-scripts.ts
 * KEEP_AUDIT_FROM), in `bucket`, the written record's (keys.ts): each entry's record must be there
 * too, as a script reaches one hash slot on a cluster.
 */
export function auditKeptWith(keys: RedisKeys, bucket: number, entries: readonly AuditEntry[] = []): { keys: string[]; args: string[] } {
  if (entries.length === 0) return { keys: [], args: [] };
  for (const entry of entries) {
    if (keys.bucketOf(entry.recordId) !== bucket) throw new RangeError(`audit entry of ${entry.recordId} kept with a write in another bucket (Store.placement)`);
  }
  return {
    keys: [keys.audit(bucket), ...entries.flatMap((entry) => [keys.auditRecord(entry.recordId), entry.userId === null ? keys.audit(bucket) : keys.auditUser(entry.userId, bucket)])],
    args: [...LIMITS, ...entries.map((entry) => JSON.stringify(entry))],
  };
}

interface Kept {
  /** When it was kept, in µs: its `t` field (scripts/audit-scripts.ts), else its stream id's ms. */
  keptUs: number;
  /** Its stream id's sequence: the order of entries one script kept at once. */
  seq: number;
  entry: AuditEntry;
}

/** Newest first, as the buckets' streams merge into one tail: by when each was kept, then by sequence. */
const newestFirst = (a: Kept, b: Kept) => b.keptUs - a.keptUs || b.seq - a.seq;

export function redisAudit(run: Run, keys: RedisKeys): AuditLog {
  const buckets = Array.from({ length: keys.buckets }, (_, bucket) => bucket);
  return {
    append: async (entry, hold) => {
      const bucket = keys.bucketOf(entry.recordId);
      const args = [JSON.stringify(entry), ...LIMITS, hold === undefined ? '' : String(Math.max(1, Math.ceil(hold.holdForMs))), keys.auditUser('', bucket)];
      const lists = [keys.auditRecord(entry.recordId), keys.auditHeld(entry.recordId), ...(entry.userId === null ? [] : [keys.auditUser(entry.userId, bucket)])];
      await run('audit.append', (client) => client.auditAppend([keys.audit(bucket), ...lists], args));
    },
    // One stream per bucket (one on a single server): the newest of each, merged by when it was kept.
    tail: async (limit) => {
      const streams = await run('audit.tail', (client) => Promise.all(buckets.map((bucket) => client.xRevRange(keys.audit(bucket), '+', '-', { COUNT: limit }))));
      const kept = streams.flatMap((entries) =>
        (entries ?? []).flatMap(({ id, message }): Kept[] => {
          if (typeof message.e !== 'string') return [];
          const [ms = 0, seq = 0] = id.split('-').map(Number);
          return [{ keptUs: typeof message.t === 'string' ? Number(message.t) : ms * 1000, seq, entry: decode(message.e) }];
        }),
      );
      return (streams.length === 1 ? kept : kept.sort(newestFirst)).slice(0, limit).map(({ entry }) => entry).reverse();
    },
    // A record has kept entries or held ones, never both (types.ts AuditHold): one after the other is its order.
    forRecord: async (recordId) => {
      // Sent together, so one round trip (node-redis pipelines what is sent in one tick).
      const [kept, held] = await run('audit.forRecord', (client) =>
        Promise.all([client.lRange(keys.auditRecord(recordId), 0, -1), client.lRange(keys.auditHeld(recordId), 0, -1)]),
      );
      return [...kept, ...held].map(decode);
    },
    forUser: async (userId, limit) => {
      const count = Math.min(limit, AUDIT_MAX_PER_USER);
      if (count < 1) return [];
      const lists = await run('audit.forUser', (client) => Promise.all(buckets.map((bucket) => client.lRange(keys.auditUser(userId, bucket), -count, -1))));
      if (lists.length === 1) return (lists[0] ?? []).map(decode);
      // A cluster keeps one list per bucket: merged by the entries' time (a stable sort keeps each list's order).
      return lists.flatMap((texts) => texts.map(decode)).sort((a, b) => a.at - b.at).slice(-count);
    },
  };
}
