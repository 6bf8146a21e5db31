/**
 * A login flow's audit trail. Anyone may start a flow, so what a flow writes is held
 * (stores/types.ts AuditHold) until its credentials are judged, accepted or refused: a flow that
 * comes to nothing leaves nothing once it would have expired, while one that does keeps its whole
 * history, its start included, for as long as the trail keeps anything.
 */
import type { AuditEntry, AuditLog } from '../../stores/types.js';

const VERDICTS = new Set(['CREDENTIALS_ACCEPTED', 'CREDENTIALS_REJECTED']);

/** `audit`, holding each entry that is not a verdict until `expiresAt` (the flow's end, epoch ms). */
export function flowAuditTrail(audit: AuditLog, expiresAt: number): AuditLog {
  const append = (entry: AuditEntry) => audit.append(entry, VERDICTS.has(entry.event) ? undefined : { holdForMs: expiresAt - entry.at });
  return { ...audit, append };
}
