/**
 * Contract: what users set up for their MFA modules (types.ts `MfaStore`): a secret per (module id,
 * user id), gone with its user, and the replay guard, a compare-and-set that moves the last accepted
 * time step only forward, so that of several callers with one code exactly one is accepted.
 */
import { describe, expect, it } from 'vitest';
import type { User } from '../../../src/domain/models.js';
import { newId, type ContractContext } from './context.js';
import { makeUser } from './users.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const OTHER_SECRET = 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU';

export function describeMfa(context: ContractContext): void {
  const mfa = () => context.store.mfa;
  const aUser = async (): Promise<User> => {
    const user = makeUser(context);
    expect(await context.store.users.createUser(user)).toBe(true);
    return user;
  };

  describe('mfa', () => {
    it('keeps a secret per module and user, and lists the modules a user set up', async () => {
      const [alice, bob] = [await aUser(), await aUser()];
      expect(await mfa().getSecret('totp', alice.id)).toBeNull();
      expect(await mfa().listModuleIds(alice.id)).toEqual([]);
      expect(await mfa().setSecret('totp', alice.id, SECRET, 100)).toBe(true);
      expect(await mfa().setSecret('totp:2', alice.id, OTHER_SECRET, 100)).toBe(true);
      expect(await mfa().getSecret('totp', alice.id)).toBe(SECRET);
      expect(await mfa().getSecret('totp:2', alice.id)).toBe(OTHER_SECRET);
      expect(await mfa().getSecret('totp', bob.id)).toBeNull();
      expect((await mfa().listModuleIds(alice.id)).sort()).toEqual(['totp', 'totp:2']);
      expect(await mfa().listModuleIds(bob.id)).toEqual([]);
    });

    it('refuses an entry for a user that does not exist, writing nothing', async () => {
      const userId = newId();
      expect(await mfa().setSecret('totp', userId, SECRET, 100)).toBe(false);
      expect(await mfa().getSecret('totp', userId)).toBeNull();
      expect(await mfa().listModuleIds(userId)).toEqual([]);
    });

    it('accepts a step only after the last accepted one, and moves it forward', async () => {
      const { id } = await aUser();
      await mfa().setSecret('totp', id, SECRET, 100);
      expect(await mfa().acceptStep('totp', id, SECRET, 100)).toBe(false);
      expect(await mfa().acceptStep('totp', id, SECRET, 99)).toBe(false);
      expect(await mfa().acceptStep('totp', id, SECRET, 101)).toBe(true);
      expect(await mfa().acceptStep('totp', id, SECRET, 101)).toBe(false);
      expect(await mfa().acceptStep('totp', id, SECRET, 103)).toBe(true);
      expect(await mfa().acceptStep('totp', id, SECRET, 102)).toBe(false);
    });

    it('accepts exactly one of several callers racing with the same step', async () => {
      const { id } = await aUser();
      await mfa().setSecret('totp', id, SECRET, 100);
      const results = await Promise.all(Array.from({ length: 10 }, () => mfa().acceptStep('totp', id, SECRET, 101)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('accepts nothing for another secret than the stored one, or for no entry', async () => {
      const { id } = await aUser();
      expect(await mfa().acceptStep('totp', id, SECRET, 101)).toBe(false);
      await mfa().setSecret('totp', id, SECRET, 100);
      expect(await mfa().acceptStep('totp', id, OTHER_SECRET, 101)).toBe(false);
      expect(await mfa().acceptStep('other', id, SECRET, 101)).toBe(false);
      expect(await mfa().getSecret('other', id)).toBeNull();
    });

    it('a new secret replaces the old one with its own accepted step', async () => {
      const { id } = await aUser();
      await mfa().setSecret('totp', id, SECRET, 100);
      expect(await mfa().acceptStep('totp', id, SECRET, 200)).toBe(true);
      expect(await mfa().setSecret('totp', id, OTHER_SECRET, 150)).toBe(true);
      expect(await mfa().getSecret('totp', id)).toBe(OTHER_SECRET);
      expect(await mfa().acceptStep('totp', id, SECRET, 300)).toBe(false);
      expect(await mfa().acceptStep('totp', id, OTHER_SECRET, 150)).toBe(false);
      expect(await mfa().acceptStep('totp', id, OTHER_SECRET, 151)).toBe(true);
    });

    it('keeps the steps of modules and users apart', async () => {
      const [alice, bob] = [await aUser(), await aUser()];
      await mfa().setSecret('totp', alice.id, SECRET, 100);
      await mfa().setSecret('totp', bob.id, SECRET, 100);
      await mfa().setSecret('totp2', alice.id, SECRET, 100);
      expect(await mfa().acceptStep('totp', alice.id, SECRET, 101)).toBe(true);
      expect(await mfa().acceptStep('totp', bob.id, SECRET, 101)).toBe(true);
      expect(await mfa().acceptStep('totp2', alice.id, SECRET, 101)).toBe(true);
    });

    it('deleteSecret forgets the secret and its step; deleting nothing is harmless', async () => {
      const { id } = await aUser();
      await mfa().deleteSecret('totp', id);
      await mfa().setSecret('totp', id, SECRET, 100);
      await mfa().setSecret('totp2', id, SECRET, 100);
      await mfa().deleteSecret('totp', id);
      expect(await mfa().getSecret('totp', id)).toBeNull();
      expect(await mfa().listModuleIds(id)).toEqual(['totp2']);
      expect(await mfa().acceptStep('totp', id, SECRET, 101)).toBe(false);
      expect(await mfa().setSecret('totp', id, SECRET, 10)).toBe(true);
      expect(await mfa().acceptStep('totp', id, SECRET, 11)).toBe(true);
    });

    it('deleting a user deletes its entries', async () => {
      const [alice, bob] = [await aUser(), await aUser()];
      await mfa().setSecret('totp', alice.id, SECRET, 100);
      await mfa().setSecret('totp', bob.id, SECRET, 100);
      await context.store.users.deleteUser(alice.id);
      expect(await mfa().getSecret('totp', alice.id)).toBeNull();
      expect(await mfa().listModuleIds(alice.id)).toEqual([]);
      expect(await mfa().acceptStep('totp', alice.id, SECRET, 101)).toBe(false);
      expect(await mfa().getSecret('totp', bob.id)).toBe(SECRET);
    });
  });
}
