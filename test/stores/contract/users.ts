/**
 * Contract: users (types.ts `UserStore`; Home Assistant's `User` in homeassistant/auth/models.py),
 * including the single owner that onboarding creates (homeassistant/components/onboarding/views.py).
 */
import { describe, expect, it } from 'vitest';
import type { Credential, User } from '../../../src/domain/models.js';
import { newId, type ContractContext } from './context.js';

export function makeUser(context: ContractContext, overrides: Partial<User> = {}): User {
  return {
    id: newId(),
    name: `user ${newId().slice(0, 6)}`,
    isOwner: false,
    isActive: true,
    systemGenerated: false,
    localOnly: false,
    groupIds: ['system-users'],
    createdAt: context.clock.now(),
    ...overrides,
  };
}

export function makeCredential(userId: string, overrides: Partial<Credential> = {}): Credential {
  const username = `name-${newId()}`;
  return {
    id: newId(),
    userId,
    authProviderType: 'homeassistant',
    authProviderId: null,
    data: { username },
    lookupKey: username,
    ...overrides,
  };
}

export function describeUsers(context: ContractContext): void {
  const users = () => context.store.users;
  const created = async (overrides: Partial<User> = {}): Promise<User> => {
    const user = makeUser(context, overrides);
    expect(await users().createUser(user)).toBe(true);
    return user;
  };

  describe('users', () => {
    it('gets what createUser wrote, and null for an unknown id', async () => {
      const user = await created({ name: null, groupIds: ['system-admin', 'system-users'], localOnly: true });
      expect(await users().getUser(user.id)).toEqual(user);
      expect(await users().getUser(newId())).toBeNull();
    });

    it('refuses a taken id and keeps the first user', async () => {
      const user = await created();
      expect(await users().createUser({ ...makeUser(context), id: user.id })).toBe(false);
      expect(await users().getUser(user.id)).toEqual(user);
    });

    it('creates the owner once: a second owner is refused and not written', async () => {
      const owner = makeUser(context, { isOwner: true, groupIds: ['system-admin'] });
      expect(await users().createUser(owner, { asOwner: true })).toBe(true);
      const second = makeUser(context, { isOwner: true, groupIds: ['system-admin'] });
      expect(await users().createUser(second, { asOwner: true })).toBe(false);
      expect(await users().getUser(second.id)).toBeNull();
      expect(await users().getUser(owner.id)).toEqual(owner);
    });

    it('refuses an owner when an owner was created without asOwner (e.g. imported)', async () => {
      await created({ isOwner: true });
      const second = makeUser(context, { isOwner: true });
      expect(await users().createUser(second, { asOwner: true })).toBe(false);
      expect(await users().getUser(second.id)).toBeNull();
    });

    it('lists the users it holds', async () => {
      const a = await created();
      const b = await created({ systemGenerated: true, isActive: false });
      const listed = await users().listUsers();
      expect(listed).toEqual(expect.arrayContaining([a, b]));
    });

    it('updateUser replaces a user; false and nothing written for an unknown id', async () => {
      const user = await created();
      const renamed = { ...user, name: 'renamed', isActive: false, groupIds: ['system-read-only'] };
      expect(await users().updateUser(renamed)).toBe(true);
      expect(await users().getUser(user.id)).toEqual(renamed);
      const unknown = makeUser(context);
      expect(await users().updateUser(unknown)).toBe(false);
      expect(await users().getUser(unknown.id)).toBeNull();
    });

    it('deleteUser removes the user and its credentials, not those of others', async () => {
      const user = await created();
      const other = await created();
      const credential = makeCredential(user.id);
      const othersCredential = makeCredential(other.id);
      expect(await users().addCredential(credential)).toBe(true);
      expect(await users().addCredential(othersCredential)).toBe(true);
      await users().deleteUser(user.id);
      expect(await users().getUser(user.id)).toBeNull();
      expect((await users().listUsers()).map((u) => u.id)).not.toContain(user.id);
      expect(await users().getCredential(credential.id)).toBeNull();
      expect(await users().findCredential('homeassistant', null, credential.lookupKey)).toBeNull();
      expect(await users().listCredentials(user.id)).toEqual([]);
      expect(await users().getCredential(othersCredential.id)).toEqual(othersCredential);
    });

    it('deleteUser of an unknown id resolves', async () => {
      await expect(users().deleteUser(newId())).resolves.toBeUndefined();
    });
  });
}
