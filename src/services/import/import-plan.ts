/**
 * The import as a plan, then an apply. Planning reads the store and decides, for every record read
 * from Home Assistant, whether it is `new`, `present` (the store holds the same: nothing to write) or
 * a `conflict` (the store holds something else under its id or its login). Applying runs the writes
 * of the plan in its order; a plan with conflicts applies only when told how to resolve them:
 *
 * - `keep`: the store's record stays, Home Assistant's conflicting one is left out (records that
 *   depend on it, such as a user's tokens, are still imported when they do not conflict themselves);
 * - `replace`: Home Assistant's record takes its place (a credential of another user is removed
 *   first, a token with the same id is deleted, and its end announced on the revocation bus).
 *
 * Nothing half-imported: Redis has no transaction across records, so the import does not rely on
 * one. Every file is read and checked, and every conflict found, before the first write; then the
 * writes go in an order where each prefix is safe and a second run completes it (it plans again,
 * finds what was written `present`, and writes the rest):
 *   onboarding → owner demotion (replace) → users → TOTP secrets → credentials → passwords → refresh tokens.
 * Onboarding is marked done first, so that no moment of the import leaves it open to anyone on a
 * store that is serving already (Home Assistant's owner may have been deleted: then no imported user
 * would close it). A user exists before anything points at it; a TOTP secret is in place before the password that
 * lets its user log in; a credential exists before its password, so that a login in between cannot
 * create a second user for it; tokens come last, whole (one create writes a token and its indexes).
 */
export type Resolution = 'stop' | 'keep' | 'replace';

export type StepKind = 'onboarding' | 'owner' | 'user' | 'totp secret' | 'credential' | 'password' | 'refresh token';

export type StepStatus = 'new' | 'present' | 'conflict';

export interface ImportStep {
  kind: StepKind;
  /** How the report names the record: ids, names, the login; never a secret. */
  label: string;
  status: StepStatus;
  /** For a conflict: what the store holds instead, in words. */
  conflict: string | null;
  /** The writes this step makes under the plan's resolution; null: none. */
  run: (() => Promise<void>) | null;
}

export interface ImportPlan {
  storeKind: string;
  resolution: Resolution;
  steps: ImportStep[];
}

/** A write the plan expected to succeed did not (another process wrote meanwhile). */
export class ImportRaceError extends Error {
  constructor(what: string) {
    super(`${what} changed in the store during the import; run the import again: it completes what is missing`);
    this.name = 'ImportRaceError';
  }
}

/** Throws ImportRaceError unless a write the plan relies on took place. */
export function expectWritten(written: boolean, what: string): void {
  if (!written) throw new ImportRaceError(what);
}

export const conflictsOf = (plan: ImportPlan) => plan.steps.filter((step) => step.status === 'conflict');

export class UnresolvedConflictsError extends Error {
  constructor(readonly count: number) {
    super(`${count} conflict${count === 1 ? '' : 's'} with what the store holds; nothing was written`);
    this.name = 'UnresolvedConflictsError';
  }
}

/** Runs the plan's writes in order; returns how many steps wrote. Refuses a plan with unresolved conflicts. */
export async function applyPlan(plan: ImportPlan): Promise<number> {
  const conflicts = conflictsOf(plan).length;
  if (conflicts > 0 && plan.resolution === 'stop') throw new UnresolvedConflictsError(conflicts);
  let written = 0;
  for (const step of plan.steps) {
    if (step.run === null) continue;
    await step.run();
    written += 1;
  }
  return written;
}

/** The steps of one kind, new / present / conflict, for the report's counts. */
export function countSteps(plan: ImportPlan, kind: StepKind): Record<StepStatus, number> {
  const counts: Record<StepStatus, number> = { new: 0, present: 0, conflict: 0 };
  for (const step of plan.steps) if (step.kind === kind) counts[step.status] += 1;
  return counts;
}
