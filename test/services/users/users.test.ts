/** The users service: owners, users made from new credentials (also when two instances race), who may log in. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { LoginCredential } from '../../../machines/credential.js';
import { userService, type UserService } from '../../../src/services/users/users.js';
import { openSqliteStore } from '../../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../../src/stores/types.js';
import { aUser } from '../../support/fixtures.js';

const credential = (username: string, id = `cred-${username}`): LoginCredential => ({
  id, authProviderType: 'homeassistant', authProviderId: null, data: { username }, lookupKey: username,
});

describe('users service', () => {
  let store: Store;
  let users: UserService;
  beforeEach(() => {
    store = openSqliteStore({ dataDir: ':memory:', clock: () => 5 });
    users = userService(store, () => 5);
  });

  it('makes one owner, as an admin; a second owner is refused, also once the first is deleted', async () => {
    const owner = await users.createOwner('Alice');
    expect(owner).toMatchObject({ name: 'Alice', isOwner: true, isActive: true, groupIds: ['system-admin'], createdAt: 5 });
    expect(await users.isOnboarded()).toBe(true);
    expect(await users.createOwner('Mallory')).toBeNull();
    await store.users.deleteUser(owner?.id ?? '');
    expect(await users.isOnboarded()).toBe(true);
    expect(await users.createOwner('Mallory')).toBeNull();
  });

  it('undoes an owner whose onboarding failed: the owner is gone and onboarding open again', async () => {
    const owner = await users.createOwner('Alice');
    await users.undoOwner(owner?.id ?? '');
    expect(await store.users.listUsers()).toEqual([]);
    expect(await users.isOnboarded()).toBe(false);
  });

  it('creates a non-owner admin named after the username for a new credential, and finds it again', async () => {
    const bob = await users.getOrCreateUser(credential('bob'));
    expect(bob).toMatchObject({ name: 'bob', isOwner: false, groupIds: ['system-admin'] });
    expect(await users.getOrCreateUser(credential('bob', 'another-id'))).toEqual(bob);
    expect(await users.isOnboarded()).toBe(false);
  });

  it('gives racing exchanges of one new credential one user, and leaves no other behind', async () => {
    const [first, second] = await Promise.all([users.getOrCreateUser(credential('carol')), users.getOrCreateUser(credential('carol'))]);
    expect(first?.id).toBe(second?.id);
    expect((await store.users.listUsers()).map((user) => user.id)).toEqual([first?.id]);
  });

  it.each([
    [{ isActive: false }, '8.8.8.8', 'User is not active'],
    [{}, '8.8.8.8', null],
    [{ localOnly: true }, '192.168.1.20', null],
    [{ localOnly: true }, '::1', null],
    [{ localOnly: true }, '8.8.8.8', 'User cannot authenticate remotely'],
    [{ localOnly: true }, '100.64.0.1', 'User cannot authenticate remotely'],
    [{ localOnly: true }, 'not-an-ip', 'Invalid remote IP'],
    [{ localOnly: true }, null, 'No request available to validate local access'],
  ])('tells %j from %s: %s (async_user_not_allowed_do_auth)', (flags, ip, reason) => {
    expect(users.notAllowedReason(aUser(flags), ip)).toBe(reason);
  });
});
