/**
 * `config/auth/*` and `config/auth_provider/homeassistant/*` (ha-auth-spec §12.3, §12.4) over a real
 * socket, on both stores: each success, each error row, who may run what, and the sockets of a
 * deactivated or deleted user closing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aUser } from '../support/fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { aLoggedInUser, failure, success } from './ws-helpers.js';
import { logIn, onboardOwner } from '../support/http-client.js';

const PROVIDER = 'config/auth_provider/homeassistant';

const userObject = (overrides: Record<string, unknown>) => ({
  id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
  username: null,
  name: 'Bob',
  is_owner: false,
  is_active: true,
  local_only: false,
  system_generated: false,
  group_ids: [],
  credentials: [],
  ...overrides,
});

const translated = (id: number, message: string, key: string, placeholders: Record<string, string> | null) => ({
  id,
  type: 'result',
  success: false,
  error: { code: 'home_assistant_error', message, translation_key: key, translation_placeholders: placeholders, translation_domain: 'auth' },
});

describe.each(['sqlite', 'redis'] as const)('config commands (%s)', (kind) => {
  let server: TestServer;
  let owner: TestSocket;
  beforeEach(async () => {
    server = await startTestServer(kind);
    owner = await TestSocket.authenticated(server, (await onboardOwner(server)).access_token);
  });
  afterEach(async () => {
    owner.close();
    await server.close();
  });

  const ownerId = async () => ((await owner.result({ type: 'auth/current_user' })) as { id: string }).id;
  const loginWorks = async (username: string, password: string) => (await logIn(server, username, password)).type === 'create_entry';

  it('config/auth/list lists every user, system ones too', async () => {
    await server.store.users.createUser(aUser({ name: 'Supervisor', systemGenerated: true, groupIds: ['system-admin'], createdAt: server.clock.now + 1 }));
    expect(await owner.result({ type: 'config/auth/list' })).toEqual([
      userObject({ name: 'Alice', username: 'alice', is_owner: true, group_ids: ['system-admin'], credentials: [{ type: 'homeassistant' }] }),
      userObject({ name: 'Supervisor', system_generated: true, group_ids: ['system-admin'] }),
    ]);
  });

  it('config/auth/create makes a user that gets a login, and refuses an unknown group', async () => {
    const created = (await owner.result({ type: 'config/auth/create', name: 'Bob', group_ids: ['system-users'], local_only: true })) as {
      user: { id: string };
    };
    expect(created).toEqual({ user: userObject({ group_ids: ['system-users'], local_only: true }) });
    expect(await owner.command({ type: `${PROVIDER}/create`, user_id: created.user.id, username: 'bob', password: 'pw' })).toEqual(success(2, null));
    expect(await loginWorks('bob', 'pw')).toBe(true);
    expect(await owner.result({ type: 'config/auth/list' })).toContainEqual(
      userObject({ id: created.user.id, username: 'bob', group_ids: ['system-users'], local_only: true, credentials: [{ type: 'homeassistant' }] }),
    );
    expect(await owner.command({ type: 'config/auth/create', name: 'Eve', group_ids: ['root'] })).toEqual(
      failure(4, 'home_assistant_error', 'Invalid group specified root'),
    );
    expect(await owner.command({ type: 'config/auth/create' })).toEqual(
      failure(5, 'invalid_format', "required key not provided @ data['name']. Got None"),
    );
  });

  it('config/auth/update changes what it is given, and refuses what Home Assistant refuses', async () => {
    const bob = await aLoggedInUser(server, 'bob');
    expect(await owner.command({ type: 'config/auth/update', user_id: bob.user.id, name: 'Robert', group_ids: ['system-admin'] })).toEqual(
      success(1, { user: userObject({ name: 'Robert', username: 'bob', group_ids: ['system-admin'], credentials: [{ type: 'homeassistant' }] }) }),
    );
    const alice = await ownerId();
    expect(await owner.command({ type: 'config/auth/update', user_id: alice, is_active: false })).toEqual(
      failure(3, 'cannot_deactivate_owner', 'Unable to deactivate owner.'),
    );
    expect(await owner.command({ type: 'config/auth/update', user_id: 'nobody' })).toEqual(failure(4, 'not_found', 'User not found'));
    const system = aUser({ systemGenerated: true });
    await server.store.users.createUser(system);
    expect(await owner.command({ type: 'config/auth/update', user_id: system.id, name: 'x' })).toEqual(
      failure(5, 'cannot_modify_system_generated', 'Unable to update system generated users.'),
    );
  });

  it('deactivating a user closes its sockets at once; reactivating lets it in again', async () => {
    const bob = await aLoggedInUser(server, 'bob');
    const socket = await TestSocket.authenticated(server, bob.tokens.access_token);
    expect(await owner.command({ type: 'config/auth/update', user_id: bob.user.id, is_active: false })).toEqual(
      expect.objectContaining({ success: true }),
    );
    expect(await socket.closedWithin(1000)).toEqual(expect.objectContaining({ code: 1000 }));
    await expect(TestSocket.authenticated(server, bob.tokens.access_token)).rejects.toThrow('handshake failed');
    await owner.result({ type: 'config/auth/update', user_id: bob.user.id, is_active: true });
    (await TestSocket.authenticated(server, bob.tokens.access_token)).close();
  });

  it('config/auth/delete removes a user, its login and its tokens, and closes its sockets', async () => {
    const bob = await aLoggedInUser(server, 'bob');
    const socket = await TestSocket.authenticated(server, bob.tokens.access_token);
    expect(await owner.command({ type: 'config/auth/delete', user_id: bob.user.id })).toEqual(success(1, null));
    expect(await socket.closedWithin(1000)).toEqual(expect.objectContaining({ code: 1000 }));
    expect(await loginWorks('bob', 'bob-password')).toBe(false);
    expect(await owner.command({ type: 'config/auth/delete', user_id: bob.user.id })).toEqual(failure(2, 'not_found', 'User not found'));
    expect(await owner.command({ type: 'config/auth/delete', user_id: await ownerId() })).toEqual(
      failure(4, 'no_delete_self', 'Unable to delete your own account'),
    );
  });

  it('refuses admin commands to a non-admin, after checking the message', async () => {
    const bob = await aLoggedInUser(server, 'bob');
    const socket = await TestSocket.authenticated(server, bob.tokens.access_token);
    expect(await socket.command({ type: 'config/auth/list' })).toEqual(failure(1, 'unauthorized', 'Unauthorized'));
    expect(await socket.command({ type: 'config/auth/create', name: 'Eve' })).toEqual(failure(2, 'unauthorized', 'Unauthorized'));
    expect(await socket.command({ type: 'config/auth/create' })).toEqual(
      failure(3, 'invalid_format', "required key not provided @ data['name']. Got None"),
    );
    expect(await socket.command({ type: `${PROVIDER}/delete`, username: 'alice' })).toEqual(failure(4, 'unauthorized', 'Unauthorized'));
    socket.close();
  });

  it(`${PROVIDER}/create refuses unknown, system and taken users, with Home Assistant's translations`, async () => {
    const bob = await aLoggedInUser(server, 'bob');
    expect(await owner.command({ type: `${PROVIDER}/create`, user_id: 'nobody', username: 'x', password: 'pw' })).toEqual(
      failure(1, 'not_found', 'User not found'),
    );
    const system = aUser({ systemGenerated: true });
    await server.store.users.createUser(system);
    expect(await owner.command({ type: `${PROVIDER}/create`, user_id: system.id, username: 'x', password: 'pw' })).toEqual(
      failure(2, 'system_generated', 'Cannot add credentials to a system generated user.'),
    );
    expect(await owner.command({ type: `${PROVIDER}/create`, user_id: bob.user.id, username: 'alice', password: 'pw' })).toEqual(
      translated(3, 'Username "alice" already exists', 'username_already_exists', { username: 'alice' }),
    );
    expect(await owner.command({ type: `${PROVIDER}/create`, user_id: bob.user.id, username: 'Bobby ', password: 'pw' })).toEqual(
      translated(
        4,
        'Username "Bobby " is not normalized. Please make sure the username is lowercase and does not contain any whitespace.',
        'username_not_normalized',
        { new_username: 'Bobby ' },
      ),
    );
  });

  it(`${PROVIDER}/delete removes a login, and says when there is none`, async () => {
    await aLoggedInUser(server, 'bob');
    expect(await owner.command({ type: `${PROVIDER}/delete`, username: 'bob' })).toEqual(success(1, null));
    expect(await loginWorks('bob', 'bob-password')).toBe(false);
    expect(await owner.command({ type: `${PROVIDER}/delete`, username: 'bob' })).toEqual(translated(2, 'User not found', 'user_not_found', null));
  });

  it(`${PROVIDER}/change_password changes the caller's own password after checking the current one`, async () => {
    const bob = await aLoggedInUser(server, 'bob');
    const socket = await TestSocket.authenticated(server, bob.tokens.access_token);
    expect(await socket.command({ type: `${PROVIDER}/change_password`, current_password: 'wrong', new_password: 'new' })).toEqual(
      failure(1, 'invalid_current_password', 'Invalid current password'),
    );
    expect(await socket.command({ type: `${PROVIDER}/change_password`, current_password: 'bob-password', new_password: 'new' })).toEqual(
      success(2, null),
    );
    expect(await loginWorks('bob', 'new')).toBe(true);
    expect(await loginWorks('bob', 'bob-password')).toBe(false);
    await owner.result({ type: `${PROVIDER}/delete`, username: 'bob' });
    expect(await socket.command({ type: `${PROVIDER}/change_password`, current_password: 'new', new_password: 'x' })).toEqual(
      failure(3, 'credentials_not_found', 'Credentials not found'),
    );
    socket.close();
  });

  it(`${PROVIDER}/admin_change_password and admin_change_username are the owner's`, async () => {
    const bob = await aLoggedInUser(server, 'bob');
    const admin = await aLoggedInUser(server, 'carol', { groupIds: ['system-admin'] });
    const carol = await TestSocket.authenticated(server, admin.tokens.access_token);
    expect(await carol.command({ type: `${PROVIDER}/admin_change_password`, user_id: bob.user.id, password: 'x' })).toEqual(
      failure(1, 'unauthorized', 'Unauthorized'),
    );
    expect(await carol.command({ type: `${PROVIDER}/admin_change_username`, user_id: bob.user.id, username: 'x' })).toEqual(
      failure(2, 'unauthorized', 'Unauthorized'),
    );
    carol.close();
    expect(await owner.command({ type: `${PROVIDER}/admin_change_password`, user_id: bob.user.id, password: 'reset' })).toEqual(success(1, null));
    expect(await owner.command({ type: `${PROVIDER}/admin_change_username`, user_id: bob.user.id, username: 'robert' })).toEqual(success(2, null));
    expect(await loginWorks('robert', 'reset')).toBe(true);
    expect(await loginWorks('bob', 'reset')).toBe(false);
    expect(await owner.command({ type: `${PROVIDER}/admin_change_username`, user_id: bob.user.id, username: 'carol' })).toEqual(
      translated(3, 'Username "carol" already exists', 'username_already_exists', { username: 'carol' }),
    );
    expect(await owner.command({ type: `${PROVIDER}/admin_change_password`, user_id: 'nobody', password: 'x' })).toEqual(
      failure(4, 'user_not_found', 'User not found'),
    );
    const created = (await owner.result({ type: 'config/auth/create', name: 'Dan' })) as { user: { id: string } };
    expect(await owner.command({ type: `${PROVIDER}/admin_change_password`, user_id: created.user.id, password: 'x' })).toEqual(
      failure(6, 'credentials_not_found', 'Credentials not found'),
    );
  });
});
