/**
 * Onboarding (homeassistant/components/onboarding/views.py, ha-auth-spec §8): creating the owner is
 * the only step this service has. The step is done for good once onboarding created the owner,
 * whichever instance did: the store marks it in the same write (stores/types.ts OnboardingState), so
 * deleting the owner later does not reopen it, as Home Assistant keeps `.storage/onboarding`. Home
 * Assistant creates the user before checking the username and then fails with a 500; here the
 * username is checked first and a late failure removes the user and reopens the step, so nothing
 * is half-written.
 */
import type { LoginCredential } from '../../../machines/credential.js';
import { CodedError, isCoded } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { normalizeUsername, type HomeAssistantProvider } from '../providers/password-store.js';
import type { LoginGrantService } from '../login/authorization-codes.js';
import type { UserService } from './users.js';

/** `STEPS`, homeassistant/components/onboarding/const.py. */
export const ONBOARDING_STEPS = ['user', 'core_config', 'analytics', 'integration'] as const;

export type OwnerOutcome =
  | { kind: 'created'; authCode: string }
  | { kind: 'already_done' }
  /** HA's InvalidUsername of `async_add_auth`, which the view answers 400. */
  | { kind: 'invalid_username'; refusal: CodedError<'username_not_normalized' | 'username_already_exists'> };

export interface OnboardingService {
  /** Every step, done or not. The steps after `user` have nothing to do here: they are done with it. */
  steps(): Promise<Array<{ step: string; done: boolean }>>;
  isStarted(): Promise<boolean>;
  createOwner(request: { name: string; username: string; password: string; clientId: string }): Promise<OwnerOutcome>;
}

export function onboardingService(users: UserService, provider: HomeAssistantProvider, grants: LoginGrantService): OnboardingService {
  return {
    async steps() {
      const done = await users.isOnboarded();
      return ONBOARDING_STEPS.map((step) => ({ step, done }));
    },

    isStarted: () => users.isOnboarded(),

    async createOwner({ name, username, password, clientId }) {
      if (await users.isOnboarded()) return { kind: 'already_done' };
      if (normalizeUsername(username) !== username) {
        return { kind: 'invalid_username', refusal: new CodedError('username_not_normalized', { new_username: username }) };
      }
      const owner = await users.createOwner(name);
      if (owner === null) return { kind: 'already_done' };
      const credential: LoginCredential = {
        id: newId(),
        authProviderType: 'homeassistant',
        authProviderId: null,
        data: { username },
        lookupKey: username,
      };
      try {
        // The password entry and the owner's credential in one step (UserStore.addLogin).
        await provider.addAuth(username, password, { ...credential, userId: owner.id });
      } catch (error) {
        await users.undoOwner(owner.id);
        if (isCoded(error, 'username_not_normalized', 'username_already_exists')) return { kind: 'invalid_username', refusal: error };
        // Another user's credential holds the name (an import, say): the name is taken.
        if (isCoded(error, 'credential_taken')) return { kind: 'invalid_username', refusal: new CodedError('username_already_exists', { username }) };
        throw error;
      }
      return { kind: 'created', authCode: await grants.issue(clientId, credential, null) };
    },
  };
}
