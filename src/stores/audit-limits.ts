/**
 * How much of the audit trail the stores keep (both adapters): the newest entries of the whole
 * deployment, and per record its newest entries for a month. Enough to follow any token of the
 * last weeks; bounded, so that a flood of logins cannot grow the store without end.
 * Per user, `forUser` gives at most AUDIT_MAX_PER_USER of the newest (Redis keeps that many in a list
 * with a month's TTL): a refresh every 30 minutes on five devices is about four days of them.
 */
export const AUDIT_MAX_ENTRIES = 100_000;
export const AUDIT_MAX_PER_RECORD = 200;
export const AUDIT_MAX_PER_USER = 1000;
export const AUDIT_RECORD_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * `append(entry, {holdForMs})` holds the entry, for at most that long, in its record's history only,
 * unless the record has kept entries already (then it is kept). The record's next kept entry keeps the
 * held ones too: they join the trail (and their user's history) just before it, in order. What anyone
 * can make the service write (a login flow's start) goes with its record unless something follows.
 */
export interface AuditHold {
  holdForMs: number;
}
