/**
 * Part of the store contract (types.ts `UserStore`): whether Home Assistant's onboarding `user` step
 * is done (its `.storage/onboarding` lists `user`). A fact of its own, not "an owner exists", so that
 * deleting the owner (which an admin may do, as in Home Assistant) does not let anyone onboard
 * again. Once done it stays done: deleting or demoting users never undoes it; only `undoOnboarding`
 * does, for an onboarding that failed half-way.
 */
export interface OnboardingState {
  /**
   * True once the step was marked done (by `createUser(…, {onboarding: true})`, `markOnboarded`, or
   * the removal or demotion of an owner), or while an owner exists: a store written before the mark
   * existed has an owner and no mark, and counts as onboarded (Home Assistant marks the step done at
   * start when it finds an owner). One round trip.
   */
  isOnboarded(): Promise<boolean>;
  /** Marks the step done (`import-ha` from an onboarded Home Assistant); nothing changes when it is. */
  markOnboarded(): Promise<void>;
  /**
   * Undoes an onboarding whose later step failed (its username was taken meanwhile): removes the user
   * that `createUser(…, {onboarding: true})` made, with its credentials, and opens onboarding again,
   * in one step, only while that user's creation is what marked it done. False, changing nothing,
   * otherwise.
   */
  undoOnboarding(ownerId: string): Promise<boolean>;
}

/**
 * What the adapters store as the mark: the id of the owner whose creation marked it, so that
 * `undoOnboarding` reopens only what that creation closed, or this word for a mark made otherwise
 * (an import, an owner removed or demoted). User ids are 32 hex characters: never this.
 */
export const MARKED_WITHOUT_OWNER = 'marked';
