/**
 * What a written record leaves in the audit trail: the entry of its creation and of each transition
 * (audit-entries.ts says what an entry keeps), written with the record's own write when the record
 * never holds entries (ActorRecords' `audit`: one round trip), appended after it otherwise.
 */
import type { MachineName } from '../../machines/index.js';
import type { Logger } from '../domain/logger.js';
import type { AuditEntry, AuditLog } from '../stores/types.js';
import { auditEntry } from './audit-entries.js';
import type { ObservedSnapshot } from './observers.js';

type EventLike = { type: string; [key: string]: unknown };

/** The audit entry of a record's first write. */
export function creationEntry(name: MachineName, id: string, snapshot: ObservedSnapshot, now: number): AuditEntry {
  return auditEntry({ machine: name, recordId: id, event: { type: 'create' }, from: null, to: snapshot.value, context: snapshot.context, emitted: [], at: now });
}

/** The audit entry of a transition; every lifecycle event carries its `now` (ARCHITECTURE.md: time arrives in events). */
export function transitionEntry(name: MachineName, id: string, event: EventLike, before: ObservedSnapshot, after: ObservedSnapshot, emitted: EventLike[]): AuditEntry {
  const at = typeof event.now === 'number' ? event.now : 0;
  return auditEntry({ machine: name, recordId: id, event, from: String(before.value), to: after.value, context: after.context, emitted, at });
}

/**
 * Appends an entry after its record's write. Not awaited: the write already happened and its answer
 * must not wait on (or fail with) the trail; entries of one connection still reach Redis in order.
 */
export function recordInAudit(audit: AuditLog | undefined, entry: AuditEntry, logger: Logger): void {
  if (audit === undefined) return;
  audit.append(entry).catch((error: unknown) => {
    logger.warn({ err: error instanceof Error ? error.message : String(error), recordId: entry.recordId }, 'audit: entry not recorded');
  });
}
