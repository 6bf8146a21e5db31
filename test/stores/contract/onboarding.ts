/**
 * Contract: onboarding's `user` step (types.ts OnboardingState). Done is a fact of its own, marked with
 * onboarding's owner in one step, and never undone by removing or demoting users: deleting the owner
 * must not let anyone onboard again (Home Assistant keeps the step in `.storage/onboarding`).
 */
import { describe, expect, it } from 'vitest';
import type { User } from '../../../src/domain/models.js';
import { newId, type ContractContext } from './context.js';
import { makeCredential, makeUser } from './users.js';

export function describeOnboarding(context: ContractContext): void {
  const users = () => context.store.users;
  const anOwner = (): User => makeUser(context, { isOwner: true, groupIds: ['system-admin'] });
  const onboard = (owner = anOwner()) => users().createUser(owner, { asOwner: true, onboarding: true });

  describe('onboarding', () => {
    it('is not done in a new store, and is done once onboarding created its owner', async () => {
      expect(await users().isOnboarded()).toBe(false);
      const owner = anOwner();
      expect(await onboard(owner)).toBe(true);
      expect(await users().isOnboarded()).toBe(true);
      expect(await users().getUser(owner.id)).toEqual(owner);
    });

    it('lets exactly one of several racing onboardings create its owner', async () => {
      const owners = Array.from({ length: 5 }, anOwner);
      const created = await Promise.all(owners.map((owner) => onboard(owner)));
      expect(created.filter(Boolean)).toHaveLength(1);
      expect((await users().listUsers()).filter((user) => user.isOwner)).toHaveLength(1);
    });

    it('stays done when the owner is deleted: no second onboarding', async () => {
      const owner = anOwner();
      await onboard(owner);
      await users().deleteUser(owner.id);
      expect(await users().listUsers()).toEqual([]);
      expect(await users().isOnboarded()).toBe(true);
      const intruder = anOwner();
      expect(await onboard(intruder)).toBe(false);
      expect(await users().getUser(intruder.id)).toBeNull();
    });

    it('stays done when the owner is demoted', async () => {
      const owner = anOwner();
      await onboard(owner);
      expect(await users().updateUser({ ...owner, isOwner: false })).toBe(true);
      expect(await users().isOnboarded()).toBe(true);
      expect(await onboard()).toBe(false);
    });

    it('counts an owner written without the mark (an older store, an import) as onboarded, and keeps it so once that owner is gone', async () => {
      const legacyOwner = anOwner();
      expect(await users().createUser(legacyOwner)).toBe(true);
      expect(await users().isOnboarded()).toBe(true);
      expect(await onboard()).toBe(false);
      await users().deleteUser(legacyOwner.id);
      expect(await users().isOnboarded()).toBe(true);
      expect(await onboard()).toBe(false);
    });

    it('is not done by users that are no owner, nor by deleting them', async () => {
      const user = makeUser(context);
      await users().createUser(user);
      await users().deleteUser(user.id);
      expect(await users().isOnboarded()).toBe(false);
    });

    it('markOnboarded closes it without any user, and again changes nothing', async () => {
      await users().markOnboarded();
      await users().markOnboarded();
      expect(await users().isOnboarded()).toBe(true);
      expect(await onboard()).toBe(false);
      expect(await users().listUsers()).toEqual([]);
    });

    it('undoOnboarding removes the owner onboarding made, with its credentials, and opens it again', async () => {
      const owner = anOwner();
      await onboard(owner);
      const credential = makeCredential(owner.id);
      await users().addCredential(credential);
      expect(await users().undoOnboarding(owner.id)).toBe(true);
      expect(await users().getUser(owner.id)).toBeNull();
      expect(await users().getCredential(credential.id)).toBeNull();
      expect(await users().findCredential('homeassistant', null, credential.lookupKey)).toBeNull();
      expect(await users().isOnboarded()).toBe(false);
      expect(await onboard()).toBe(true);
    });

    it('undoOnboarding changes nothing for a user whose creation did not mark it', async () => {
      const user = makeUser(context);
      await users().createUser(user);
      await users().markOnboarded();
      expect(await users().undoOnboarding(user.id)).toBe(false);
      expect(await users().undoOnboarding(newId())).toBe(false);
      expect(await users().getUser(user.id)).toEqual(user);
      expect(await users().isOnboarded()).toBe(true);
    });
  });
}
