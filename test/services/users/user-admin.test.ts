/**
 * The `config/auth/*` service on both stores: Home Assistant's create/update/remove rules (owner,
 * groups, system users, the order of its errors), and the sockets it closes everywhere through the
 * revocation bus when a user is deactivated or removed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/stores/types.js';
import type { Credential, User } from '../../../src/domain/models.js';
import { createHomeAssistantProvider, type HomeAssistantProvider } from '../../../src/services/providers/password-store.js';
import { refreshTokenService, type RefreshTokenService } from '../../../src/services/tokens/refresh-tokens.js';
import { userAdminService, type UserAdminService } from '../../../src/services/users/user-admin.js';
import { CodedError, type ErrorCode } from '../../../src/domain/errors.js';
import { newId } from '../../../src/domain/ids.js';
import { openStorePerTest } from '../../stores/contract.js';
import { eventually } from '../../stores/contract/context.js';
import { aUser, issueRefreshToken } from '../../support/fixtures.js';
import { silentLogger } from '../../support/logger.js';
import { BOTH_STORES } from '../../support/stores.js';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message: string): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(CodedError);
  await expect(promise).rejects.toMatchObject({ code, message });
}

describe.each(BOTH_STORES)('user admin over %s', (_kind, harness) => {
  const context = openStorePerTest(harness);
  let store: Store;
  let now: number;
  let tokens: RefreshTokenService;
  let passwords: HomeAssistantProvider;
  let admin: UserAdminService;
  beforeEach(() => {
    store = context.store;
    now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    tokens = refreshTokenService(store, clock, silentLogger(), '2025.6.3');
    passwords = createHomeAssistantProvider(store.users, { rounds: 4 });
    admin = userAdminService(store, clock, tokens, passwords);
  });

  const stored = async (overrides: Partial<User> = {}): Promise<User> => {
    const user = aUser({ createdAt: now, ...overrides });
    expect(await store.users.createUser(user)).toBe(true);
    return user;
  };
  const linked = async (userId: string, overrides: Partial<Credential> = {}): Promise<Credential> => {
    const username = `user-${newId()}`;
    const credential = { id: newId(), userId, authProviderType: 'homeassistant', authProviderId: null, data: { username }, lookupKey: username, ...overrides };
    expect(await store.users.addCredential(credential)).toBe(true);
    return credential;
  };
  /** Every id the bus delivers from now on. */
  const listen = () => {
    const heard: string[] = [];
    store.revocations.subscribe((id) => heard.push(id));
    return heard;
  };
  /** Publishes a marker and waits for it: ids published before it have arrived by then (one channel keeps order). */
  const settled = async (heard: string[]) => {
    const marker = newId();
    await store.revocations.publish([marker]);
    await eventually(async () => expect(heard).toContain(marker));
    return heard.filter((id) => id !== marker);
  };

  describe('create', () => {
    it('makes an active user with no groups and not local-only by default', async () => {
      const { user, credentials } = await admin.create({ name: 'Bob' });
      expect(user).toEqual({ id: user.id, name: 'Bob', isOwner: true, isActive: true, systemGenerated: false, localOnly: false, groupIds: [], createdAt: now });
      expect(credentials).toEqual([]);
      expect(await store.users.getUser(user.id)).toEqual(user);
    });

    it('makes the first user that is not system generated the owner, and no later one', async () => {
      await stored({ systemGenerated: true, groupIds: ['system-read-only'] });
      const first = await admin.create({ name: 'Alice', groupIds: ['system-admin'], localOnly: true });
      const second = await admin.create({ name: 'Bob', groupIds: ['system-users', 'system-read-only'] });
      expect(first.user).toMatchObject({ isOwner: true, groupIds: ['system-admin'], localOnly: true });
      expect(second.user).toMatchObject({ isOwner: false, groupIds: ['system-users', 'system-read-only'] });
    });

    it('makes no owner when a user that is not system generated exists, owner or not', async () => {
      await stored({ isOwner: false });
      expect((await admin.create({ name: 'Bob' })).user.isOwner).toBe(false);
    });

    it('makes exactly one owner when the first users are created at once', async () => {
      const created = await Promise.all(['a', 'b', 'c', 'd'].map((name) => admin.create({ name })));
      expect(created.filter(({ user }) => user.isOwner)).toHaveLength(1);
      const listed = (await store.users.listUsers()).map((user) => [user.id, user.isOwner]).sort();
      expect(listed).toEqual(created.map(({ user }) => [user.id, user.isOwner]).sort());
    });

    it('refuses an unknown group and writes nothing', async () => {
      await rejectsWith(admin.create({ name: 'Bob', groupIds: ['system-admin', 'nope'] }), 'invalid_group', 'Invalid group specified nope');
      expect(await store.users.listUsers()).toEqual([]);
    });
  });

  describe('list and get', () => {
    it('lists every user, system ones included, in creation order, with its credentials', async () => {
      const later = await stored({ createdAt: now + 2 });
      const system = await stored({ createdAt: now, systemGenerated: true });
      const [low, high] = [await stored({ createdAt: now + 1 }), await stored({ createdAt: now + 1 })].sort((a, b) => a.id.localeCompare(b.id));
      const credential = await linked(later.id);
      expect(await admin.list()).toEqual([
        { user: system, credentials: [] },
        { user: low, credentials: [] },
        { user: high, credentials: [] },
        { user: later, credentials: [credential] },
      ]);
    });

    it('gets one user with its credentials; null for an unknown id', async () => {
      const user = await stored();
      const credential = await linked(user.id);
      expect(await admin.get(user.id)).toEqual({ user, credentials: [credential] });
      expect(await admin.get(newId())).toBeNull();
    });
  });

  describe('update', () => {
    it('changes the fields given and keeps the others', async () => {
      const user = await stored({ name: 'Bob', groupIds: ['system-admin'], localOnly: false });
      const credential = await linked(user.id);
      const result = await admin.update(user.id, { name: 'Robert', localOnly: true });
      const expected = { ...user, name: 'Robert', localOnly: true };
      expect(result).toEqual({ user: expected, credentials: [credential] });
      expect(await store.users.getUser(user.id)).toEqual(expected);
      expect((await admin.update(user.id, { groupIds: ['system-read-only'] })).user).toEqual({ ...expected, groupIds: ['system-read-only'] });
    });

    it('answers not_found, then cannot_modify_system_generated, then cannot_deactivate_owner, in that order', async () => {
      const everything = { name: 'x', isActive: false, groupIds: ['nope'] };
      await rejectsWith(admin.update(newId(), everything), 'unknown_user', 'User not found');
      const system = await stored({ systemGenerated: true });
      await rejectsWith(admin.update(system.id, everything), 'cannot_modify_system_generated', 'Unable to update system generated users.');
      const owner = await stored({ isOwner: true });
      await rejectsWith(admin.update(owner.id, everything), 'cannot_deactivate_owner', 'Unable to deactivate owner.');
      expect(await store.users.getUser(system.id)).toEqual(system);
      expect(await store.users.getUser(owner.id)).toEqual(owner);
    });

    it('lets the owner be renamed and kept active', async () => {
      const owner = await stored({ isOwner: true });
      expect((await admin.update(owner.id, { name: 'Boss', isActive: true })).user).toEqual({ ...owner, name: 'Boss' });
    });

    it('refuses an unknown group and writes none of the other changes', async () => {
      const user = await stored();
      await rejectsWith(admin.update(user.id, { name: 'Robert', groupIds: ['system-users', 'admins'] }), 'invalid_group', 'Invalid group specified admins');
      expect(await store.users.getUser(user.id)).toEqual(user);
    });

    it("deactivating announces the user's live refresh tokens on the bus, and ends none of them", async () => {
      const user = await stored();
      const [first, second] = [await issueRefreshToken(store, user.id, now), await issueRefreshToken(store, user.id, now)];
      const ended = await issueRefreshToken(store, user.id, now);
      await tokens.revoke(ended.id, 'revoked');
      const other = await issueRefreshToken(store, (await stored()).id, now);
      const heard = listen();

      expect((await admin.update(user.id, { isActive: false })).user.isActive).toBe(false);
      expect((await settled(heard)).sort()).toEqual([first.id, second.id].sort());
      expect(heard).not.toContain(other.id);
      expect((await tokens.findBySecret(first.secret))?.id).toBe(first.id);

      // Reactivated, the same tokens serve again (HA keeps them too); nothing is announced.
      heard.length = 0;
      expect((await admin.update(user.id, { isActive: true })).user.isActive).toBe(true);
      expect((await tokens.listForUser(user.id)).map((token) => token.id).sort()).toEqual([first.id, second.id].sort());
      expect(await settled(heard)).toEqual([]);
    });

    it('announces nothing for changes that leave the user active', async () => {
      const user = await stored();
      await issueRefreshToken(store, user.id, now);
      const heard = listen();
      await admin.update(user.id, { name: 'Robert', groupIds: ['system-users'], localOnly: true });
      expect(await settled(heard)).toEqual([]);
    });
  });

  describe('remove', () => {
    it('removes the password entries, the credentials, the user, and ends its refresh tokens on every instance', async () => {
      const user = await stored();
      const login = await linked(user.id);
      await passwords.addAuth(login.lookupKey, 'secret');
      const orphan = await linked(user.id); // a homeassistant credential whose entry is gone already
      const trusted = await linked(user.id, { authProviderType: 'trusted_networks', data: { user_id: user.id }, lookupKey: user.id });
      await passwords.addAuth('someone-else', 'secret');
      const [first, second] = [await issueRefreshToken(store, user.id, now), await issueRefreshToken(store, user.id, now)];
      const other = await issueRefreshToken(store, (await stored()).id, now);
      const heard = listen();

      await admin.remove(user.id);
      expect(await store.users.getUser(user.id)).toBeNull();
      expect(await passwords.listUsernames()).toEqual(['someone-else']);
      for (const credential of [login, orphan, trusted]) expect(await store.users.getCredential(credential.id)).toBeNull();
      expect(await tokens.listForUser(user.id)).toEqual([]);
      expect((await settled(heard)).sort()).toEqual([first.id, second.id].sort());
      expect(await tokens.findBySecret(other.secret)).not.toBeNull();
    });

    it('refuses an unknown id', async () => {
      await rejectsWith(admin.remove(newId()), 'unknown_user', 'User not found');
    });
  });
});
