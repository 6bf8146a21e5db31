/** Contract: the `homeassistant` provider's username → password-hash entries (types.ts `UserStore`). */
import { describe, expect, it } from 'vitest';
import type { PasswordEntry } from '../../../src/domain/models.js';
import { newId, type ContractContext } from './context.js';

const entry = (username = `name-${newId()}`): PasswordEntry => ({ username, passwordHash: `hash-${newId()}` });

export function describePasswords(context: ContractContext): void {
  const users = () => context.store.users;
  const added = async (): Promise<PasswordEntry> => {
    const first = entry();
    expect(await users().addPassword(first)).toBe(true);
    return first;
  };

  describe('passwords', () => {
    it('gets and lists what addPassword wrote; null for an unknown username', async () => {
      const a = await added();
      const b = await added();
      expect(await users().getPassword(a.username)).toEqual(a);
      expect(await users().listPasswords()).toEqual(expect.arrayContaining([a, b]));
      expect(await users().getPassword(`name-${newId()}`)).toBeNull();
    });

    it('refuses a taken username and keeps its hash', async () => {
      const first = await added();
      expect(await users().addPassword(entry(first.username))).toBe(false);
      expect(await users().getPassword(first.username)).toEqual(first);
    });

    it('setPassword replaces the hash; false and nothing written for an unknown username', async () => {
      const first = await added();
      const changed = entry(first.username);
      expect(await users().setPassword(changed)).toBe(true);
      expect(await users().getPassword(first.username)).toEqual(changed);
      const unknown = entry();
      expect(await users().setPassword(unknown)).toBe(false);
      expect(await users().getPassword(unknown.username)).toBeNull();
    });

    it('deletePassword removes the entry; an unknown username resolves', async () => {
      const kept = await added();
      const removed = await added();
      await users().deletePassword(removed.username);
      expect(await users().getPassword(removed.username)).toBeNull();
      const usernames = (await users().listPasswords()).map((e) => e.username);
      expect(usernames).toContain(kept.username);
      expect(usernames).not.toContain(removed.username);
      await expect(users().deletePassword(`name-${newId()}`)).resolves.toBeUndefined();
    });
  });
}
