/**
 * The audit trail in Redis: a capped stream `<p>audit` (XADD MAXLEN ~) for the newest entries of
 * the deployment, a list per record `<p>audit:<recordId>` (trimmed, with a month's TTL) for one
 * record's history, and likewise a list per user `<p>audit-user:<userId>` for entries that name
 * one, all written by one script.
 */
import type { AuditEntry, AuditLog } from '../types.js';
import { AUDIT_MAX_ENTRIES, AUDIT_MAX_PER_RECORD, AUDIT_MAX_PER_USER, AUDIT_RECORD_TTL_MS } from '../audit-limits.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

const decode = (text: string): AuditEntry => JSON.parse(text) as AuditEntry;

export function redisAudit(run: Run, keys: RedisKeys): AuditLog {
  return {
    append: async (entry) => {
      const args = [JSON.stringify(entry), String(AUDIT_MAX_ENTRIES), String(AUDIT_MAX_PER_RECORD), String(AUDIT_RECORD_TTL_MS), String(AUDIT_MAX_PER_USER)];
      const lists = [keys.auditRecord(entry.recordId), ...(entry.userId === null ? [] : [keys.auditUser(entry.userId)])];
      await run('audit.append', (client) => client.auditAppend([keys.audit, ...lists], args));
    },
    tail: async (limit) => {
      const entries = await run('audit.tail', (client) => client.xRevRange(keys.audit, '+', '-', { COUNT: limit }));
      return (entries ?? []).flatMap(({ message }) => (typeof message.e === 'string' ? [decode(message.e)] : [])).reverse();
    },
    forRecord: async (recordId) => (await run('audit.forRecord', (client) => client.lRange(keys.auditRecord(recordId), 0, -1))).map(decode),
    forUser: async (userId, limit) => {
      const count = Math.min(limit, AUDIT_MAX_PER_USER);
      if (count < 1) return [];
      return (await run('audit.forUser', (client) => client.lRange(keys.auditUser(userId), -count, -1))).map(decode);
    },
  };
}
