/**
 * The audit trail in Redis: a capped stream `<p>audit` (XADD MAXLEN ~) for the newest entries of
 * the deployment, and a list per record `<p>audit:<recordId>` (trimmed, with a month's TTL) for one
 * record's history, both written by one script.
 */
import type { AuditEntry, AuditLog } from '../types.js';
import { AUDIT_MAX_ENTRIES, AUDIT_MAX_PER_RECORD, AUDIT_RECORD_TTL_MS } from '../audit-limits.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

const decode = (text: string): AuditEntry => JSON.parse(text) as AuditEntry;

export function redisAudit(run: Run, keys: RedisKeys): AuditLog {
  return {
    append: async (entry) => {
      const args = [JSON.stringify(entry), String(AUDIT_MAX_ENTRIES), String(AUDIT_MAX_PER_RECORD), String(AUDIT_RECORD_TTL_MS)];
      await run('audit.append', (client) => client.auditAppend([keys.audit, keys.auditRecord(entry.recordId)], args));
    },
    tail: async (limit) => {
      const entries = await run('audit.tail', (client) => client.xRevRange(keys.audit, '+', '-', { COUNT: limit }));
      return (entries ?? []).flatMap(({ message }) => (typeof message.e === 'string' ? [decode(message.e)] : [])).reverse();
    },
    forRecord: async (recordId) => (await run('audit.forRecord', (client) => client.lRange(keys.auditRecord(recordId), 0, -1))).map(decode),
  };
}
