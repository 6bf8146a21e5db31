/**
 * Onboarding views over HTTP (ha-auth-spec §8.1–§8.3): the steps, the installation type, and the
 * creation of the owner, on a real server over each store. This service has no step after `user`:
 * all four are reported done together once the owner exists (src/services/users/onboarding.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INSTALLATION_TYPE } from '../../src/http/onboarding.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { tokensOf } from '../ws/ws-helpers.js';
import { expectHomeAssistantHeaders, HEX32, ISSUED_TOKENS, jsonOf, postRaw, textOf } from './http-helpers.js';
import { exchangeCode, logIn, onboardOwner, postJson } from '../support/http-client.js';
import { aUser } from '../support/fixtures.js';
import { newId } from '../../src/domain/ids.js';

const OWNER = { name: 'Alice', username: 'alice', password: 'secret-password', client_id: CLIENT_ID, language: 'en' };

const stepsDone = (done: boolean) =>
  ['user', 'core_config', 'analytics', 'integration'].map((step) => ({ step, done }));

const notNormalized = (username: string) => ({
  message: `Username "${username}" is not normalized. Please make sure the username is lowercase and does not contain any whitespace.`,
});

describe.each(['sqlite', 'redis'] as const)('onboarding over %s', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(kind);
  });
  afterEach(async () => {
    await server.close();
  });

  const getSteps = () => fetch(`${server.baseUrl}/api/onboarding`);
  const getInstallationType = () => fetch(`${server.baseUrl}/api/onboarding/installation_type`);
  const createOwner = (body: Record<string, unknown> = OWNER) => postJson(server, '/api/onboarding/users', body);

  async function expectNoOwner() {
    expect(await jsonOf(await getSteps())).toEqual({ status: 200, body: stepsDone(false) });
    expect(await server.store.users.listUsers()).toEqual([]);
    expect(await server.store.users.listPasswords()).toEqual([]);
  }

  it('GET /api/onboarding lists the four steps, none done, before the owner exists', async () => {
    const response = await getSteps();
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 200, body: stepsDone(false) });
  });

  it('GET /api/onboarding reports every step done once the owner exists', async () => {
    expect((await createOwner()).status).toBe(200);
    const response = await getSteps();
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 200, body: stepsDone(true) });
  });

  it('GET /api/onboarding/installation_type answers before the owner exists', async () => {
    const response = await getInstallationType();
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 200, body: { installation_type: INSTALLATION_TYPE } });
  });

  it('GET /api/onboarding/installation_type is 401 `401: Unauthorized` (text) once the owner exists', async () => {
    expect((await createOwner()).status).toBe(200);
    const response = await getInstallationType();
    expectHomeAssistantHeaders(response);
    const { status, contentType, text } = await textOf(response);
    expect({ status, text }).toEqual({ status: 401, text: '401: Unauthorized' });
    expect(contentType).toMatch(/^text\/plain/);
  });

  it('POST /api/onboarding/users creates the owner and answers an auth code that exchanges for tokens', async () => {
    const response = await createOwner();
    expectHomeAssistantHeaders(response);
    const { status, body } = await jsonOf(response);
    expect({ status, body }).toEqual({ status: 200, body: { auth_code: expect.stringMatching(HEX32) as unknown } });
    const { auth_code: code } = body as { auth_code: string };

    expect(await jsonOf(await exchangeCode(server, code))).toEqual({ status: 200, body: ISSUED_TOKENS });
    const users = await server.store.users.listUsers();
    expect(users).toEqual([
      expect.objectContaining({ name: 'Alice', isOwner: true, isActive: true, systemGenerated: false, groupIds: ['system-admin'] }),
    ]);
    expect((await server.store.users.listPasswords()).map((entry) => entry.username)).toEqual(['alice']);
  });

  it('refuses a second owner: 403 "User step already done"', async () => {
    expect((await createOwner()).status).toBe(200);
    const response = await createOwner({ ...OWNER, username: 'bob' });
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 403, body: { message: 'User step already done' } });
    expect(await server.store.users.listUsers()).toHaveLength(1);
    expect((await server.store.users.listPasswords()).map((entry) => entry.username)).toEqual(['alice']);
  });

  it('lets exactly one of several concurrent onboardings create the owner', async () => {
    const names = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const responses = await Promise.all(names.map((username) => createOwner({ ...OWNER, username })));
    const results = await Promise.all(responses.map(jsonOf));
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    expect(results.filter((result) => result.status !== 200)).toEqual(
      Array.from({ length: 4 }, () => ({ status: 403, body: { message: 'User step already done' } })),
    );
    expect(await server.store.users.listUsers()).toHaveLength(1);
    expect(await server.store.users.listPasswords()).toHaveLength(1);
  });

  it.each(['Alice', ' bob'])('refuses the non-normalized username %j with 400 and writes nothing', async (username) => {
    const response = await createOwner({ ...OWNER, username });
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 400, body: notNormalized(username) });
    await expectNoOwner();
    expect((await getInstallationType()).status).toBe(200);

    const retried = await createOwner();
    expect(await jsonOf(retried)).toEqual({ status: 200, body: { auth_code: expect.stringMatching(HEX32) as unknown } });
    expect(await jsonOf(await getSteps())).toEqual({ status: 200, body: stepsDone(true) });
  });

  it('refuses a username a command-line login already has, and removes the owner it had created', async () => {
    const taken = { username: 'alice', passwordHash: 'JDJiJDA0JHRha2Vu' };
    await server.store.users.addPassword(taken);
    const response = await createOwner();
    expect(await jsonOf(response)).toEqual({ status: 400, body: { message: 'Username "alice" already exists' } });
    expect(await server.store.users.listUsers()).toEqual([]);
    expect(await server.store.users.listPasswords()).toEqual([taken]);
    expect(await jsonOf(await getSteps())).toEqual({ status: 200, body: stepsDone(false) });
  });

  it("refuses a username another user's credential holds, and writes neither a password entry nor the owner", async () => {
    // A user imported with a credential whose password entry is missing: onboarding is still open.
    const imported = aUser({ name: 'Imported', groupIds: ['system-users'] });
    await server.store.users.createUser(imported);
    const theirs = { id: newId(), userId: imported.id, authProviderType: 'homeassistant', authProviderId: null, data: { username: 'alice' }, lookupKey: 'alice' };
    await server.store.users.addCredential(theirs);
    const response = await createOwner();
    expect(await jsonOf(response)).toEqual({ status: 400, body: { message: 'Username "alice" already exists' } });
    expect(await server.store.users.listUsers()).toEqual([imported]);
    expect(await server.store.users.listPasswords()).toEqual([]);
    expect(await server.store.users.findCredential('homeassistant', null, 'alice')).toEqual(theirs);
    expect(await jsonOf(await getSteps())).toEqual({ status: 200, body: stepsDone(false) });
  });

  /** Onboards alice, who makes bob an admin with a login; bob then deletes alice. Returns bob's socket. */
  async function anAdminDeletesTheOwner(): Promise<TestSocket> {
    const owner = await TestSocket.authenticated(server, (await onboardOwner(server)).access_token);
    const { id: ownerId } = (await owner.result({ type: 'auth/current_user' })) as { id: string };
    const { user } = (await owner.result({ type: 'config/auth/create', name: 'Bob', group_ids: ['system-admin'] })) as { user: { id: string } };
    await owner.result({ type: 'config/auth_provider/homeassistant/create', user_id: user.id, username: 'bob', password: 'bob-password' });
    owner.close();
    const admin = await TestSocket.authenticated(server, (await tokensOf(server, 'bob', 'bob-password')).access_token);
    await admin.result({ type: 'config/auth/delete', user_id: ownerId });
    expect((await server.store.users.listUsers()).map((stored) => [stored.name, stored.isOwner])).toEqual([['Bob', false]]);
    return admin;
  }

  it('stays done once an admin deleted the owner: an anonymous owner is refused as Home Assistant refuses it', async () => {
    const admin = await anAdminDeletesTheOwner();
    const response = await createOwner({ ...OWNER, name: 'Mallory', username: 'mallory' });
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 403, body: { message: 'User step already done' } });
    expect((await server.store.users.listUsers()).map((user) => user.name)).toEqual(['Bob']);
    expect((await server.store.users.listPasswords()).map((entry) => entry.username)).toEqual(['bob']);
    // Everything that follows the step still says done, and the remaining admin is served.
    expect(await jsonOf(await getSteps())).toEqual({ status: 200, body: stepsDone(true) });
    expect((await getInstallationType()).status).toBe(401);
    expect((await fetch(`${server.baseUrl}/auth/providers`)).status).toBe(200);
    expect((await logIn(server, 'bob', 'bob-password')).type).toBe('create_entry');
    expect(await admin.result({ type: 'auth/current_user' })).toMatchObject({ name: 'Bob', is_owner: false, is_admin: true });
    admin.close();
  });

  it('does not check the client_id (spec §8.3 step 6): the token endpoint does', async () => {
    const response = await createOwner({ ...OWNER, client_id: 'not a url' });
    const { status, body } = await jsonOf(response);
    expect({ status, body }).toEqual({ status: 200, body: { auth_code: expect.stringMatching(HEX32) as unknown } });
    const { auth_code: code } = body as { auth_code: string };
    expect(await jsonOf(await exchangeCode(server, code, 'not a url'))).toEqual({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Invalid client id' },
    });
  });
});

describe('POST /api/onboarding/users body validation', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer('sqlite');
  });
  afterEach(async () => {
    await server.close();
  });

  const expectNothingWritten = async () => {
    expect(await server.store.users.listUsers()).toEqual([]);
    expect(await server.store.users.listPasswords()).toEqual([]);
  };

  it.each([
    ['broken JSON', '{"name": "Alice",', 'application/json'],
    ['an empty body', '', 'application/json'],
    ['a non-JSON text body', 'name=Alice', 'text/plain'],
  ])('answers %s with 400 "Invalid JSON."', async (_label, body, contentType) => {
    const response = await postRaw(server, '/api/onboarding/users', body, contentType);
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 400, body: { message: 'Invalid JSON.' } });
    await expectNothingWritten();
  });

  it('reads a JSON body whatever its content type, as aiohttp `request.json()` does', async () => {
    const response = await postRaw(server, '/api/onboarding/users', JSON.stringify(OWNER), 'text/plain');
    expect(response.status).toBe(200);
  });

  const withoutUsername: Record<string, unknown> = { ...OWNER };
  delete withoutUsername.username;

  it.each([
    ['a missing key', withoutUsername, "required key not provided @ data['username']"],
    ['a key of the wrong type', { ...OWNER, username: 5 }, "expected str for dictionary value @ data['username']"],
    ['a null value', { ...OWNER, password: null }, "expected str for dictionary value @ data['password']"],
    ['an extra key', { ...OWNER, extra: 'x' }, "extra keys not allowed @ data['extra']"],
    ['a body that is not an object', ['alice'], 'expected a dictionary'],
  ])('answers %s with 400 "Message format incorrect: …"', async (_label, body, problem) => {
    const response = await postJson(server, '/api/onboarding/users', body);
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 400, body: { message: `Message format incorrect: ${problem}` } });
    await expectNothingWritten();
  });
});
