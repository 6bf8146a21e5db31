/**
 * What a store's onboarding mark holds (types.ts OnboardingState): the id of the owner whose creation
 * marked it, so that `undoOnboarding` reopens only what that creation closed, or this word for a mark
 * made otherwise (an import, an owner removed or demoted). User ids are 32 hex characters: never this.
 */
export const MARKED_WITHOUT_OWNER = 'marked';
