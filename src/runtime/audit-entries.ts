/**
 * What the audit trail keeps of a transition (stores/types.ts AuditEntry): the machine, the record,
 * the event and the states, with the user, client and address where the record or the event knows
 * them, and the few event fields that explain it. Nothing else of the event or the context is
 * copied, so no secret (a code, a credential's data, a PKCE proof, a form's input) can reach it.
 */
import type { MachineName } from '../../machines/index.js';
import type { AuditEntry } from '../stores/types.js';

/** Event fields worth keeping: a revocation's reason, a rotation's successor, a redemption's token. */
const DETAIL_FIELDS = ['reason', 'successorId', 'refreshTokenId', 'moduleId'] as const;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

interface Move {
  machine: MachineName;
  recordId: string;
  event: { type: string; [key: string]: unknown };
  from: string | null;
  to: unknown;
  context: unknown;
  emitted: Array<{ type: string; [key: string]: unknown }>;
  at: number;
}

export function auditEntry({ machine, recordId, event, from, to, context, emitted, at }: Move): AuditEntry {
  const known = (typeof context === 'object' && context !== null ? context : {}) as Record<string, unknown>;
  const detail = [
    ...DETAIL_FIELDS.flatMap((field) => (typeof event[field] === 'string' ? [`${field}=${event[field]}`] : [])),
    ...emitted.map((effect) => `emitted=${effect.type}`),
  ];
  return {
    at,
    machine,
    recordId,
    event: event.type,
    from,
    to: String(to),
    userId: text(known.userId),
    clientId: text(known.clientId),
    ip: text(event.ip) ?? text(known.ipAddress),
    detail: detail.length === 0 ? null : detail.join(' '),
  };
}
