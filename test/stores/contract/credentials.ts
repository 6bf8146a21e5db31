/**
 * Contract: credentials, unique per (provider type, provider id, lookup key), where a null provider
 * id (Home Assistant's default providers) is a value of its own (types.ts `UserStore`).
 */
import { describe, expect, it } from 'vitest';
import type { Credential } from '../../../src/domain/models.js';
import { newId, type ContractContext } from './context.js';
import { makeCredential, makeUser } from './users.js';

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

export function describeCredentials(context: ContractContext): void {
  const users = () => context.store.users;
  const newUserId = async (): Promise<string> => {
    const user = makeUser(context);
    expect(await users().createUser(user)).toBe(true);
    return user.id;
  };
  const added = async (credential: Credential): Promise<Credential> => {
    expect(await users().addCredential(credential)).toBe(true);
    return credential;
  };

  describe('credentials', () => {
    it('gets, finds and lists what addCredential wrote', async () => {
      const userId = await newUserId();
      const a = await added(makeCredential(userId));
      const b = await added(makeCredential(userId, { authProviderType: 'trusted_networks', data: { user_id: userId }, lookupKey: userId }));
      await added(makeCredential(await newUserId()));
      expect(await users().getCredential(a.id)).toEqual(a);
      expect(await users().findCredential('homeassistant', null, a.lookupKey)).toEqual(a);
      expect(await users().findCredential('trusted_networks', null, userId)).toEqual(b);
      expect((await users().listCredentials(userId)).sort(byId)).toEqual([a, b].sort(byId));
    });

    it('answers null for unknown ids and logins', async () => {
      expect(await users().getCredential(newId())).toBeNull();
      expect(await users().findCredential('homeassistant', null, newId())).toBeNull();
      expect(await users().listCredentials(newId())).toEqual([]);
    });

    it('refuses a taken id and keeps the first credential', async () => {
      const userId = await newUserId();
      const first = await added(makeCredential(userId));
      const other = makeCredential(userId, { id: first.id });
      expect(await users().addCredential(other)).toBe(false);
      expect(await users().getCredential(first.id)).toEqual(first);
      expect(await users().findCredential('homeassistant', null, other.lookupKey)).toBeNull();
    });

    it('refuses a taken login (type, provider id, lookup key) under another id', async () => {
      const userId = await newUserId();
      const first = await added(makeCredential(userId, { authProviderId: 'office' }));
      const twin = makeCredential(await newUserId(), { authProviderId: 'office', lookupKey: first.lookupKey });
      expect(await users().addCredential(twin)).toBe(false);
      expect(await users().getCredential(twin.id)).toBeNull();
      expect(await users().findCredential('homeassistant', 'office', first.lookupKey)).toEqual(first);
    });

    it('treats a null provider id as a value: unique among nulls, distinct from any id', async () => {
      const userId = await newUserId();
      const lookupKey = `name-${newId()}`;
      const byDefault = await added(makeCredential(userId, { lookupKey }));
      expect(await users().addCredential(makeCredential(userId, { lookupKey }))).toBe(false);
      const byOffice = await added(makeCredential(userId, { lookupKey, authProviderId: 'office' }));
      const otherType = await added(makeCredential(userId, { lookupKey, authProviderType: 'command_line' }));
      expect(await users().findCredential('homeassistant', null, lookupKey)).toEqual(byDefault);
      expect(await users().findCredential('homeassistant', 'office', lookupKey)).toEqual(byOffice);
      expect(await users().findCredential('command_line', null, lookupKey)).toEqual(otherType);
      expect(await users().findCredential('homeassistant', 'garage', lookupKey)).toBeNull();
    });

    it('removeCredential removes it everywhere and frees its login', async () => {
      const userId = await newUserId();
      const kept = await added(makeCredential(userId));
      const removed = await added(makeCredential(userId));
      await users().removeCredential(removed.id);
      expect(await users().getCredential(removed.id)).toBeNull();
      expect(await users().findCredential('homeassistant', null, removed.lookupKey)).toBeNull();
      expect(await users().listCredentials(userId)).toEqual([kept]);
      expect(await users().addCredential({ ...removed, id: newId() })).toBe(true);
      await expect(users().removeCredential(newId())).resolves.toBeUndefined();
    });

    describe('updateCredential', () => {
      const renamed = (credential: Credential): Credential => {
        const username = `name-${newId()}`;
        return { ...credential, data: { username }, lookupKey: username };
      };

      it('replaces data and lookup key and moves the login: the old one is free, the new one finds it', async () => {
        const userId = await newUserId();
        const before = await added(makeCredential(userId));
        const after = renamed(before);
        expect(await users().updateCredential(after)).toBe(true);
        expect(await users().getCredential(before.id)).toEqual(after);
        expect(await users().findCredential('homeassistant', null, after.lookupKey)).toEqual(after);
        expect(await users().findCredential('homeassistant', null, before.lookupKey)).toBeNull();
        expect(await users().listCredentials(userId)).toEqual([after]);
        expect(await users().addCredential({ ...before, id: newId() })).toBe(true);
      });

      it('keeps the login when the lookup key stays, changing only the data', async () => {
        const before = await added(makeCredential(await newUserId(), { authProviderId: 'office' }));
        const after = { ...before, data: { ...before.data, note: 'renamed by an admin' } };
        expect(await users().updateCredential(after)).toBe(true);
        expect(await users().findCredential('homeassistant', 'office', before.lookupKey)).toEqual(after);
      });

      it('is false for an unknown id and writes nothing', async () => {
        const ghost = makeCredential(await newUserId());
        expect(await users().updateCredential(ghost)).toBe(false);
        expect(await users().getCredential(ghost.id)).toBeNull();
        expect(await users().findCredential('homeassistant', null, ghost.lookupKey)).toBeNull();
      });

      it("is false when the new login is another credential's, and changes neither", async () => {
        const mine = await added(makeCredential(await newUserId()));
        const theirs = await added(makeCredential(await newUserId()));
        expect(await users().updateCredential({ ...mine, data: theirs.data, lookupKey: theirs.lookupKey })).toBe(false);
        expect(await users().getCredential(mine.id)).toEqual(mine);
        expect(await users().findCredential('homeassistant', null, mine.lookupKey)).toEqual(mine);
        expect(await users().findCredential('homeassistant', null, theirs.lookupKey)).toEqual(theirs);
      });

      it('moves a login within its provider only: the same lookup key under another provider id is no conflict', async () => {
        const userId = await newUserId();
        const byDefault = await added(makeCredential(userId));
        const byOffice = await added(makeCredential(userId, { authProviderId: 'office' }));
        const moved = { ...byOffice, data: byDefault.data, lookupKey: byDefault.lookupKey };
        expect(await users().updateCredential(moved)).toBe(true);
        expect(await users().findCredential('homeassistant', 'office', byDefault.lookupKey)).toEqual(moved);
        expect(await users().findCredential('homeassistant', null, byDefault.lookupKey)).toEqual(byDefault);
      });

      it.each([
        ['user', async (): Promise<Partial<Credential>> => ({ userId: await newUserId() })],
        ['provider type', async (): Promise<Partial<Credential>> => ({ authProviderType: 'command_line' })],
        ['provider id', async (): Promise<Partial<Credential>> => ({ authProviderId: 'office' })],
      ])('rejects a change of %s as a caller bug, writing nothing', async (_what, change) => {
        const before = await added(makeCredential(await newUserId()));
        const after = { ...renamed(before), ...(await change()) };
        await expect(users().updateCredential(after)).rejects.toThrow(/cannot move to another user or provider/);
        expect(await users().getCredential(before.id)).toEqual(before);
        expect(await users().findCredential(after.authProviderType, after.authProviderId, after.lookupKey)).toBeNull();
      });
    });

    describe('addLogin', () => {
      const newName = () => `name-${newId()}`;
      const entryFor = (username: string) => ({ username, passwordHash: `hash-of-${username}` });
      const credentialFor = (userId: string, username: string, overrides: Partial<Credential> = {}) =>
        makeCredential(userId, { data: { username }, lookupKey: username, ...overrides });

      it('adds the password entry and the credential together', async () => {
        const userId = await newUserId();
        const username = newName();
        const credential = credentialFor(userId, username);
        expect(await users().addLogin(entryFor(username), credential)).toBe('added');
        expect(await users().getPassword(username)).toEqual(entryFor(username));
        expect(await users().findCredential('homeassistant', null, username)).toEqual(credential);
        expect(await users().listCredentials(userId)).toEqual([credential]);
      });

      it("keeps the user's own credential that lost its entry, adding only the entry", async () => {
        const userId = await newUserId();
        const username = newName();
        const own = await added(credentialFor(userId, username));
        expect(await users().addLogin(entryFor(username), credentialFor(userId, username))).toBe('added');
        expect(await users().getPassword(username)).toEqual(entryFor(username));
        expect(await users().listCredentials(userId)).toEqual([own]);
      });

      it("is 'username_taken', writing nothing, when the username has an entry", async () => {
        const userId = await newUserId();
        const username = newName();
        await users().addPassword({ username, passwordHash: 'first' });
        expect(await users().addLogin(entryFor(username), credentialFor(userId, username))).toBe('username_taken');
        expect(await users().getPassword(username)).toEqual({ username, passwordHash: 'first' });
        expect(await users().listCredentials(userId)).toEqual([]);
      });

      it("is 'credential_taken', writing nothing, when the login is another user's credential", async () => {
        const username = newName();
        const theirs = await added(credentialFor(await newUserId(), username));
        const userId = await newUserId();
        expect(await users().addLogin(entryFor(username), credentialFor(userId, username))).toBe('credential_taken');
        expect(await users().getPassword(username)).toBeNull();
        expect(await users().findCredential('homeassistant', null, username)).toEqual(theirs);
        expect(await users().listCredentials(userId)).toEqual([]);
      });

      it('rejects an unknown user as a caller bug, writing nothing', async () => {
        const username = newName();
        await expect(users().addLogin(entryFor(username), credentialFor(newId(), username))).rejects.toThrow(/no user/);
        expect(await users().getPassword(username)).toBeNull();
        expect(await users().findCredential('homeassistant', null, username)).toBeNull();
      });
    });

    describe('renameLogin', () => {
      const newName = () => `name-${newId()}`;
      const hashOf = (username: string) => `hash-of-${username}`;
      /** A `homeassistant` login: a password entry, and a credential whose lookup key is its username. */
      const login = async () => {
        const username = newName();
        expect(await users().addPassword({ username, passwordHash: hashOf(username) })).toBe(true);
        return { username, credential: await added(makeCredential(await newUserId(), { data: { username }, lookupKey: username })) };
      };
      const renamedTo = (credential: Credential, username: string): Credential => ({ ...credential, data: { username }, lookupKey: username });
      const passwordOf = async (username: string) => (await users().getPassword(username))?.passwordHash ?? null;
      /** Nothing moved: the entry and the credential are as `login` made them, and `to` has neither. */
      const unchanged = async ({ username, credential }: Awaited<ReturnType<typeof login>>, to: string) => {
        expect(await passwordOf(username)).toBe(hashOf(username));
        expect(await users().getCredential(credential.id)).toEqual(credential);
        expect(await users().findCredential('homeassistant', null, username)).toEqual(credential);
        expect((await users().findCredential('homeassistant', null, to))?.id).not.toBe(credential.id);
      };

      it('moves the password entry, with its hash, and the credential\'s login together', async () => {
        const { username, credential } = await login();
        const to = newName();
        expect(await users().renameLogin(username, to, renamedTo(credential, to))).toBe('renamed');
        expect(await passwordOf(to)).toBe(hashOf(username));
        expect(await passwordOf(username)).toBeNull();
        expect(await users().getCredential(credential.id)).toEqual(renamedTo(credential, to));
        expect(await users().findCredential('homeassistant', null, to)).toEqual(renamedTo(credential, to));
        expect(await users().findCredential('homeassistant', null, username)).toBeNull();
      });

      it('moves the password entry alone when given no credential', async () => {
        const username = newName();
        await users().addPassword({ username, passwordHash: hashOf(username) });
        const to = newName();
        expect(await users().renameLogin(username, to)).toBe('renamed');
        expect(await passwordOf(to)).toBe(hashOf(username));
        expect(await passwordOf(username)).toBeNull();
      });

      it("is 'taken', writing nothing, when the new name has a password entry (its own name included)", async () => {
        const mine = await login();
        const theirs = await login();
        expect(await users().renameLogin(mine.username, theirs.username, renamedTo(mine.credential, theirs.username))).toBe('taken');
        await unchanged(mine, theirs.username);
        expect(await passwordOf(theirs.username)).toBe(hashOf(theirs.username));
        expect(await users().renameLogin(mine.username, mine.username, mine.credential)).toBe('taken');
        await unchanged(mine, newName());
      });

      it("is 'taken', writing nothing, when the new login is another credential's", async () => {
        const mine = await login();
        // A credential left without a password entry holds the name (Home Assistant's provider checks only its entries).
        const holder = await added(makeCredential(await newUserId()));
        expect(await users().renameLogin(mine.username, holder.lookupKey, renamedTo(mine.credential, holder.lookupKey))).toBe('taken');
        await unchanged(mine, holder.lookupKey);
        expect(await passwordOf(holder.lookupKey)).toBeNull();
        expect(await users().findCredential('homeassistant', null, holder.lookupKey)).toEqual(holder);
      });

      it("is 'missing', writing nothing, when the old name has no entry or the credential does not exist", async () => {
        const mine = await login();
        const to = newName();
        expect(await users().renameLogin(newName(), to, renamedTo(mine.credential, to))).toBe('missing');
        await unchanged(mine, to);
        const ghost = renamedTo(makeCredential(mine.credential.userId), to);
        expect(await users().renameLogin(mine.username, to, ghost)).toBe('missing');
        await unchanged(mine, to);
        expect(await passwordOf(to)).toBeNull();
        expect(await users().renameLogin(newName(), to)).toBe('missing');
      });

      it('rejects a credential moved to another user as a caller bug, writing nothing', async () => {
        const mine = await login();
        const to = newName();
        await expect(users().renameLogin(mine.username, to, { ...renamedTo(mine.credential, to), userId: await newUserId() })).rejects.toThrow(
          /cannot move to another user or provider/,
        );
        await unchanged(mine, to);
        expect(await passwordOf(to)).toBeNull();
      });
    });
  });
}
