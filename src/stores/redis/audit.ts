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

/** The keys and arguments a write appends for the entries it keeps (scripts/audit-scripts.ts KEEP_AUDIT_FROM). */
export function auditKeptWith(keys: RedisKeys, entries: readonly AuditEntry[] = []): { keys: string[]; args: string[] } {
  if (entries.length === 0) return { keys: [], args: [] };
  return {
    keys: [keys.audit, ...entries.flatMap((entry) => [keys.auditRecord(entry.recordId), entry.userId === null ? '' : keys.auditUser(entry.userId)])],
    args: [...LIMITS, ...entries.map((entry) => JSON.stringify(entry))],
  };
}

export function redisAudit(run: Run, keys: RedisKeys): AuditLog {
  const userStem = keys.auditUser('');
  return {
    append: async (entry, hold) => {
      const args = [JSON.stringify(entry), ...LIMITS, hold === undefined ? '' : String(Math.max(1, Math.ceil(hold.holdForMs))), userStem];
      const lists = [keys.auditRecord(entry.recordId), keys.auditHeld(entry.recordId), ...(entry.userId === null ? [] : [keys.auditUser(entry.userId)])];
      await run('audit.append', (client) => client.auditAppend([keys.audit, ...lists], args));
    },
    tail: async (limit) => {
      const entries = await run('audit.tail', (client) => client.xRevRange(keys.audit, '+', '-', { COUNT: limit }));
      return (entries ?? []).flatMap(({ message }) => (typeof message.e === 'string' ? [decode(message.e)] : [])).reverse();
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
      return (await run('audit.forUser', (client) => client.lRange(keys.auditUser(userId), -count, -1))).map(decode);
    },
  };
}
