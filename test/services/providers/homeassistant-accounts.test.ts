/**
 * The `config/auth_provider/homeassistant/*` service on both stores: password entries and the
 * credentials that link them to users move together, with Home Assistant's errors, and no refresh
 * token ends.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../../src/domain/ids.js';
import { CodedError, type ErrorCode } from '../../../src/domain/errors.js';
import { homeAssistantAccountService, type HomeAssistantAccountService } from '../../../src/services/providers/homeassistant-accounts.js';
import { createHomeAssistantProvider, type HomeAssistantProvider } from '../../../src/services/providers/password-store.js';
import { StoreUnavailableError, type Store } from '../../../src/stores/types.js';
import type { Credential, User } from '../../../src/domain/models.js';
import { openStorePerTest } from '../../stores/contract.js';
import { aUser, issueRefreshToken } from '../../support/fixtures.js';
import { BOTH_STORES } from '../../support/stores.js';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message: string): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(CodedError);
  await expect(promise).rejects.toMatchObject({ code, message });
}

/** HA's InvalidUser, by its code in the catalog (which holds its translation key). */
async function rejectsWithInvalidUser(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(CodedError);
  await expect(promise).rejects.toMatchObject({ code });
}

describe.each(BOTH_STORES)('homeassistant accounts over %s', (_kind, harness) => {
  const context = openStorePerTest(harness);
  let store: Store;
  let passwords: HomeAssistantProvider;
  let accounts: HomeAssistantAccountService;
  beforeEach(() => {
    store = context.store;
    passwords = createHomeAssistantProvider(store.users, { rounds: 4 });
    accounts = homeAssistantAccountService(store.users, passwords);
  });

  const stored = async (overrides: Partial<User> = {}): Promise<User> => {
    const user = aUser(overrides);
    expect(await store.users.createUser(user)).toBe(true);
    return user;
  };
  const credentialOf = async (userId: string, username: string, overrides: Partial<Credential> = {}): Promise<Credential> => {
    const credential = { id: newId(), userId, authProviderType: 'homeassistant', authProviderId: null, data: { username }, lookupKey: username, ...overrides };
    expect(await store.users.addCredential(credential)).toBe(true);
    return credential;
  };
  /** A user with a working login, as `addCredentials` makes it. */
  const withAccount = async (username: string, password = 'old-secret') => {
    const user = await stored();
    await accounts.addCredentials(user.id, username, password);
    return user;
  };
  const find = (username: string) => store.users.findCredential('homeassistant', null, username);
  /** The service on the store as it sees it, with a store outage at its write number `failing` (the first is 1). */
  const accountsFailingAtWrite = (failing: number): HomeAssistantAccountService => {
    let writes = 0;
    const outage = new Set(['addPassword', 'deletePassword', 'setPassword', 'addCredential', 'removeCredential', 'updateCredential', 'renameLogin', 'addLogin']);
    const failingUsers = new Proxy(store.users, {
      get: (target, name, receiver) => {
        const member = Reflect.get(target, name, receiver) as unknown;
        if (typeof name !== 'string' || !outage.has(name) || typeof member !== 'function') return member;
        return (...args: unknown[]) => {
          writes += 1;
          return writes === failing ? Promise.reject(new StoreUnavailableError('Redis is unavailable (a test outage)')) : (member as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return homeAssistantAccountService(failingUsers, createHomeAssistantProvider(failingUsers, { rounds: 4 }));
  };

  describe('addCredentials', () => {
    it('adds the password entry and links a credential for it to the user', async () => {
      const user = await stored();
      await accounts.addCredentials(user.id, 'bob', 'secret');
      expect(await passwords.validateLogin('bob', 'secret')).toBe(true);
      const credential = await find('bob');
      expect(credential).toEqual({ id: credential?.id, userId: user.id, authProviderType: 'homeassistant', authProviderId: null, data: { username: 'bob' }, lookupKey: 'bob' });
      expect(await store.users.listCredentials(user.id)).toEqual([credential]);
    });

    it('answers not_found and system_generated before adding anything', async () => {
      await rejectsWith(accounts.addCredentials(newId(), 'bob', 'secret'), 'unknown_user', 'User not found');
      const system = await stored({ systemGenerated: true });
      await rejectsWith(accounts.addCredentials(system.id, 'bob', 'secret'), 'system_generated', 'Cannot add credentials to a system generated user.');
      expect(await passwords.listUsernames()).toEqual([]);
    });

    it("passes the provider's refusals through: a name that is not normalized, a name that exists", async () => {
      const user = await stored();
      await rejectsWithInvalidUser(accounts.addCredentials(user.id, 'Bob', 'secret'), 'username_not_normalized');
      await withAccount('bob');
      await rejectsWithInvalidUser(accounts.addCredentials(user.id, 'bob', 'secret'), 'username_already_exists');
      expect(await store.users.listCredentials(user.id)).toEqual([]);
    });

    it("links the user's own credential that lost its entry, without a second one", async () => {
      const user = await stored();
      const credential = await credentialOf(user.id, 'bob');
      await accounts.addCredentials(user.id, 'bob', 'secret');
      expect(await store.users.listCredentials(user.id)).toEqual([credential]);
      expect(await passwords.validateLogin('bob', 'secret')).toBe(true);
    });

    it.each([1, 2])('adds the entry and the credential both or neither when the store fails its write number %i', async (failing) => {
      const user = await stored();
      const username = `bob${failing}`;
      await accountsFailingAtWrite(failing).addCredentials(user.id, username, 'secret').catch((error: unknown) => expect(error).toBeInstanceOf(StoreUnavailableError));
      // A password entry whose name no credential holds would make a new user at its first login.
      const entry = (await passwords.listUsernames()).includes(username);
      expect((await find(username))?.userId).toBe(entry ? user.id : undefined);
    });

    it("refuses a credential of another user, writing no password entry that could log that user in", async () => {
      const other = await stored();
      const theirs = await credentialOf(other.id, 'bob');
      const user = await stored();
      await rejectsWith(accounts.addCredentials(user.id, 'bob', 'secret'), 'credential_taken', 'Username "bob" is already linked to another user');
      expect(await passwords.listUsernames()).toEqual([]);
      expect(await find('bob')).toEqual(theirs);
      expect(await store.users.listCredentials(user.id)).toEqual([]);
    });
  });

  describe('removeByUsername', () => {
    it('removes the credential and its entry, and ends no refresh token', async () => {
      const user = await withAccount('bob');
      const token = await issueRefreshToken(store, user.id, Date.now());
      await accounts.removeByUsername(' Bob ');
      expect(await find('bob')).toBeNull();
      expect(await passwords.listUsernames()).toEqual([]);
      expect(await store.users.getUser(user.id)).toEqual(user);
      expect((await store.refreshTokens.load(token.id))?.snapshot).toMatchObject({ value: 'issued' });
    });

    it('removes a credential whose entry is gone already, and an entry without a credential', async () => {
      await credentialOf((await stored()).id, 'orphan');
      await passwords.addAuth('cli-added', 'secret');
      await accounts.removeByUsername('orphan');
      await accounts.removeByUsername('cli-added');
      expect(await find('orphan')).toBeNull();
      expect(await passwords.listUsernames()).toEqual([]);
    });

    it("passes the provider's user_not_found through when there is neither", async () => {
      await rejectsWithInvalidUser(accounts.removeByUsername('nobody'), 'username_not_found');
    });
  });

  describe('changeOwnPassword', () => {
    it('sets the new password once the current one is right', async () => {
      const user = await withAccount('bob');
      await accounts.changeOwnPassword(user, 'old-secret', 'new-secret');
      expect(await passwords.validateLogin('bob', 'new-secret')).toBe(true);
      expect(await passwords.validateLogin('bob', 'old-secret')).toBe(false);
    });

    it('refuses a wrong current password and changes nothing', async () => {
      const user = await withAccount('bob');
      await rejectsWith(accounts.changeOwnPassword(user, 'guess', 'new-secret'), 'invalid_current_password', 'Invalid current password');
      expect(await passwords.validateLogin('bob', 'old-secret')).toBe(true);
    });

    it('answers credentials_not_found for a user without a homeassistant credential', async () => {
      const user = await stored();
      await credentialOf(user.id, user.id, { authProviderType: 'trusted_networks', data: { user_id: user.id } });
      await rejectsWith(accounts.changeOwnPassword(user, 'old-secret', 'new-secret'), 'credentials_not_found', 'Credentials not found');
    });
  });

  describe('adminChangePassword', () => {
    it("sets the user's password", async () => {
      const user = await withAccount('bob');
      await accounts.adminChangePassword(user.id, 'new-secret');
      expect(await passwords.validateLogin('bob', 'new-secret')).toBe(true);
    });

    it('answers user_not_found, then credentials_not_found', async () => {
      await rejectsWith(accounts.adminChangePassword(newId(), 'x'), 'user_not_found', 'User not found');
      await rejectsWith(accounts.adminChangePassword((await stored()).id, 'x'), 'credentials_not_found', 'Credentials not found');
    });
  });

  describe('adminChangeUsername', () => {
    it('renames the entry and the credential together: the new name logs in to the same user, the old one is free', async () => {
      const user = await withAccount('bob');
      const before = await find('bob');
      await accounts.adminChangeUsername(user.id, 'robert');
      expect(await find('robert')).toEqual({ ...before, data: { username: 'robert' }, lookupKey: 'robert' });
      expect(await find('bob')).toBeNull();
      expect(await passwords.validateLogin('robert', 'old-secret')).toBe(true);
      expect(await passwords.validateLogin('bob', 'old-secret')).toBe(false);
    });

    it('answers user_not_found, then credentials_not_found', async () => {
      await rejectsWith(accounts.adminChangeUsername(newId(), 'robert'), 'user_not_found', 'User not found');
      await rejectsWith(accounts.adminChangeUsername((await stored()).id, 'robert'), 'credentials_not_found', 'Credentials not found');
    });

    it("passes the provider's refusals through and changes nothing", async () => {
      const user = await withAccount('bob');
      await withAccount('carol');
      await rejectsWithInvalidUser(accounts.adminChangeUsername(user.id, 'Robert'), 'username_not_normalized');
      await rejectsWithInvalidUser(accounts.adminChangeUsername(user.id, 'carol'), 'username_already_exists');
      expect((await find('bob'))?.userId).toBe(user.id);
      expect(await passwords.validateLogin('bob', 'old-secret')).toBe(true);
    });

    it("refuses, changing nothing, when another user's credential holds the new name", async () => {
      const user = await withAccount('bob');
      const theirs = await credentialOf((await stored()).id, 'robert');
      await expect(accounts.adminChangeUsername(user.id, 'robert')).rejects.toMatchObject({
        code: 'username_already_exists',
        message: 'Username "robert" already exists',
      });
      expect(await passwords.validateLogin('bob', 'old-secret')).toBe(true);
      expect(await passwords.listUsernames()).toEqual(['bob']);
      expect((await find('bob'))?.userId).toBe(user.id);
      expect(await find('robert')).toEqual(theirs);
    });

    it.each([1, 2, 3])('leaves the login whole, old or new, when the store fails its write number %i', async (failing) => {
      const [oldName, newName] = [`bob${failing}`, `robert${failing}`];
      const user = await withAccount(oldName);
      await accountsFailingAtWrite(failing).adminChangeUsername(user.id, newName).catch((error: unknown) => expect(error).toBeInstanceOf(StoreUnavailableError));
      // One name holds both the password entry and the user's credential; the other holds neither.
      const entries = (await passwords.listUsernames()).filter((name) => name === oldName || name === newName);
      expect(entries).toHaveLength(1);
      const [kept] = entries as [string];
      expect((await find(kept))?.userId).toBe(user.id);
      expect(await find(kept === oldName ? newName : oldName)).toBeNull();
      expect(await passwords.validateLogin(kept, 'old-secret')).toBe(true);
    });
  });
});
