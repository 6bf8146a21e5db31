/**
 * Onboarding's `user` step in the embedded store (types.ts OnboardingState): one row in `onboarding`,
 * read together with "is there an owner" (a file written before the row existed has an owner and no
 * row). Synchronous pieces, so that user-records.ts runs them inside its own units (group-commit.ts).
 */
import type { Database } from 'better-sqlite3';
import { MARKED_WITHOUT_OWNER } from '../onboarding-state.js';

const STEP = 'user';

export interface OnboardingRows {
  isOnboarded(): boolean;
  /** Marks the step done by `doneBy` unless it is done already. */
  mark(doneBy?: string): void;
  /** Removes the mark when `doneBy` made it; false otherwise. */
  unmarkIfBy(doneBy: string): boolean;
}

export function onboardingRows(db: Database): OnboardingRows {
  const selectDone = db.prepare<[], { done: number }>(
    `SELECT EXISTS (SELECT 1 FROM onboarding WHERE step = '${STEP}') OR EXISTS (SELECT 1 FROM users WHERE is_owner = 1) AS done`,
  );
  const insert = db.prepare<[string]>(`INSERT INTO onboarding (step, done_by) VALUES ('${STEP}', ?) ON CONFLICT DO NOTHING`);
  const deleteBy = db.prepare<[string]>(`DELETE FROM onboarding WHERE step = '${STEP}' AND done_by = ?`);
  return {
    isOnboarded: () => selectDone.get()?.done === 1,
    mark: (doneBy = MARKED_WITHOUT_OWNER) => {
      insert.run(doneBy);
    },
    unmarkIfBy: (doneBy) => deleteBy.run(doneBy).changes === 1,
  };
}
