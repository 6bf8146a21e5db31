/**
 * The `trusted_networks` provider over HTTP (ha-auth-spec §3.1, §5.3, §6.1 row 6, §14.2) on both
 * stores: hidden from `/auth/providers` where access would be refused, the `init` step (a choice of
 * users, `errors: null`, abort `not_allowed`), `trusted_users` with user ids and groups (matched, as
 * Home Assistant means them to be), `allow_bypass_login`, no MFA, and the IP re-checked whenever a
 * token of such a login is used. Clients come through a trusted proxy on 127.0.0.1 (X-Forwarded-For);
 * a request straight from 127.0.0.1 comes from that proxy, which trusted_networks never lets in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthConfig, type AuthConfig } from '../../src/auth-config.js';
import { newId } from '../../src/domain/ids.js';
import { newTotpSecret, timeStep } from '../../src/domain/totp.js';
import type { User } from '../../src/domain/models.js';
import { aUser } from '../support/fixtures.js';
import { CLIENT_ID, startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { deleteFlow, HEX32, jsonOf, START, submitStep } from './http-helpers.js';
import { exchangeCode, onboardOwner, refreshGrant, startFlow } from '../support/http-client.js';

const TN: [string, string | null] = ['trusted_networks', null];
const BYPASS: [string, string | null] = ['trusted_networks', 'bypass'];
const LAN = '192.168.0.20';
const OUTSIDE = '8.8.8.8';
/** Trusted too, but not local: a local-only user is blocked from here. */
const PUBLIC_TRUSTED = '203.0.113.5';

const bobId = newId();

const CONFIG = `
auth_providers:
  - type: homeassistant
  - type: trusted_networks
    trusted_networks: [192.168.0.0/24, 203.0.113.0/24, 127.0.0.1]
    trusted_users:
      192.168.0.50: ${bobId}
      192.168.0.60: [{group: system-read-only}]
      192.168.0.70: [${bobId}, {group: [system-admin]}]
      192.168.0.64/26: [{group: system-read-only}]
      192.168.0.128/25: []
  - type: trusted_networks
    id: bypass
    name: Kiosk
    trusted_networks: [192.168.0.0/24]
    trusted_users:
      192.168.0.50: [${bobId}]
      192.168.0.128/25: []
    allow_bypass_login: true
  - type: trusted_networks
    id: empty
    trusted_networks: []
`;

function configWith(text: string): AuthConfig {
  return parseAuthConfig(text, 'test.yaml');
}

const from = (ip: string | undefined): Record<string, string> => (ip === undefined ? {} : { 'x-forwarded-for': ip });

function getProviders(server: TestServer, ip?: string) {
  return fetch(`${server.baseUrl}/auth/providers`, { headers: from(ip) });
}

const exchange = (server: TestServer, code: string, ip?: string) => exchangeCode(server, code, CLIENT_ID, ip);
const refresh = (server: TestServer, refreshToken: string, ip?: string) => refreshGrant(server, refreshToken, CLIENT_ID, ip);

/** The `init` form of §5.3 for trusted_networks. */
function userForm(flowId: string, options: Array<[string, string | null]>, handler = TN) {
  return {
    type: 'form',
    flow_id: flowId,
    handler,
    data_schema: [{ type: 'select', options, name: 'user', required: true }],
    errors: null,
    description_placeholders: null,
    last_step: null,
    preview: null,
    step_id: 'init',
  };
}

function createEntry(flowId: string, handler = TN) {
  return { type: 'create_entry', flow_id: flowId, handler, description: null, description_placeholders: null, result: expect.stringMatching(HEX32) as unknown };
}

const notAllowed = (handler = TN) => ({
  type: 'abort',
  flow_id: expect.stringMatching(HEX32) as unknown,
  handler,
  reason: 'not_allowed',
  description_placeholders: null,
});

async function addUser(server: TestServer, name: string | null, overrides: Partial<User> = {}): Promise<User> {
  server.clock.now += 1;
  const user = aUser({ name, groupIds: ['system-users'], createdAt: server.clock.now, ...overrides });
  if (!(await server.store.users.createUser(user))) throw new Error(`user ${name} not created`);
  return user;
}

async function flowFrom(server: TestServer, ip: string, handler = TN): Promise<{ flowId: string; body: unknown }> {
  const response = await startFlow(server, { handler }, ip);
  const body = (await response.json()) as { flow_id: string };
  expect(response.status).toBe(200);
  return { flowId: body.flow_id, body };
}

/** A trusted_networks login of `userId` from `ip`, to its code. */
async function codeFor(server: TestServer, userId: string, ip: string): Promise<string> {
  const { flowId } = await flowFrom(server, ip);
  const done = await jsonOf(await submitStep(server, flowId, { user: userId }, ip));
  expect(done).toEqual({ status: 200, body: createEntry(flowId) });
  return (done.body as { result: string }).result;
}

async function tokensFor(server: TestServer, userId: string, ip: string) {
  const response = await exchange(server, await codeFor(server, userId, ip), ip);
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; refresh_token: string; ha_auth_provider: string };
}

describe.each(['sqlite', 'redis'] as const)('the trusted_networks provider over %s', (kind: StoreKind) => {
  let server: TestServer;
  let alice: User;
  let bob: User;
  let carol: User;
  let nameless: User;
  let ownersRefreshToken: string;
  beforeAll(async () => {
    server = await startTestServer(kind, START, { trustProxy: ['127.0.0.1'], authConfig: configWith(CONFIG) });
    ({ refresh_token: ownersRefreshToken } = await onboardOwner(server));
    const [owner] = await server.store.users.listUsers();
    if (owner === undefined) throw new Error('no owner');
    alice = owner;
    bob = await addUser(server, 'Bob', { id: bobId });
    carol = await addUser(server, 'Carol', { groupIds: ['system-read-only'] });
    await addUser(server, 'Dave (inactive)', { isActive: false });
    await addUser(server, 'Supervisor', { systemGenerated: true, groupIds: ['system-admin'] });
    nameless = await addUser(server, null);
  });
  afterAll(() => server.close());

  const everyone = (): Array<[string, string | null]> => [
    [alice.id, 'Alice'],
    [bob.id, 'Bob'],
    [carol.id, 'Carol'],
    [nameless.id, null],
  ];

  describe('GET /auth/providers (§3.1)', () => {
    it('lists the providers in configuration order to a client on a trusted network', async () => {
      expect(await jsonOf(await getProviders(server, LAN))).toEqual({
        status: 200,
        body: {
          providers: [
            { name: 'Home Assistant Local', id: null, type: 'homeassistant' },
            { name: 'Trusted Networks', id: null, type: 'trusted_networks' },
            { name: 'Kiosk', id: 'bypass', type: 'trusted_networks' },
          ],
          preselect_remember_me: true,
        },
      });
    });

    it.each([
      ['outside the trusted networks', OUTSIDE],
      ['at the trusted proxy itself', undefined],
    ])('hides them from a client %s', async (_where, ip) => {
      const { body } = await jsonOf(await getProviders(server, ip));
      expect((body as { providers: unknown[] }).providers).toEqual([{ name: 'Home Assistant Local', id: null, type: 'homeassistant' }]);
    });

    it('shows a provider only where its own networks say (the bypass one lacks 203.0.113.0/24)', async () => {
      const { body } = await jsonOf(await getProviders(server, PUBLIC_TRUSTED));
      expect((body as { providers: Array<{ id: string | null }> }).providers.map(({ id }) => id)).toEqual([null, null]);
    });
  });

  describe('the init step (§5.3, §14.2)', () => {
    it('offers the active users who are not system users, oldest first, with errors null', async () => {
      const { flowId, body } = await flowFrom(server, LAN);
      expect(body).toEqual(userForm(flowId, everyone()));
    });

    it.each([
      ['a listed user id', '192.168.0.50', () => [[bobId, 'Bob']]],
      ['a group entry (system-read-only)', '192.168.0.60', (c: User) => [[c.id, 'Carol']]],
      ['a user id and a list of groups', '192.168.0.70', (_c: User, a: User) => [[a.id, 'Alice'], [bobId, 'Bob']]],
      ['the first entry whose network holds the client (192.168.0.64/26)', '192.168.0.65', (c: User) => [[c.id, 'Carol']]],
      ['an entry that lists nobody', '192.168.0.200', () => []],
    ])('narrows the users by trusted_users: %s', async (_row, ip, expected) => {
      const { flowId, body } = await flowFrom(server, ip);
      expect(body).toEqual(userForm(flowId, expected(carol, alice) as Array<[string, string | null]>));
    });

    it.each([
      ['outside its networks', OUTSIDE, TN],
      ['from the trusted proxy', undefined, TN],
      ['of a provider without networks ("trusted_networks is not configured")', LAN, ['trusted_networks', 'empty'] as [string, string]],
    ])('aborts not_allowed %s, and keeps no flow', async (_row, ip, handler) => {
      const response = await startFlow(server, { handler }, ip);
      const { status, body } = await jsonOf(response);
      expect({ status, body }).toEqual({ status: 200, body: notAllowed(handler) });
      const flowId = (body as { flow_id: string }).flow_id;
      expect(await jsonOf(await deleteFlow(server, flowId))).toEqual({ status: 404, body: { message: 'Invalid flow specified' } });
    });

    it.each([
      ['a user it did not offer', { user: newId() }],
      ['an inactive user', 'inactive'],
      ['no user', {}],
      ['a number', { user: 7 }],
      ['an extra key', 'extra'],
    ])('answers 400 "User input malformed" to %s, and keeps the flow', async (_row, input) => {
      const inactive = (await server.store.users.listUsers()).find((user) => !user.isActive);
      const body =
        input === 'inactive' ? { user: inactive?.id } : input === 'extra' ? { user: bob.id, remember: true } : input;
      const { flowId } = await flowFrom(server, '192.168.0.50');
      expect(await jsonOf(await submitStep(server, flowId, body, '192.168.0.50'))).toEqual({
        status: 400,
        body: { message: 'User input malformed' },
      });
      expect((await jsonOf(await submitStep(server, flowId, { user: bob.id }, '192.168.0.50'))).body).toEqual(createEntry(flowId));
    });

    it('logs the chosen user in: a credential {user_id} linked to that user, no new user, the provider in the tokens', async () => {
      const before = await server.store.users.listUsers();
      const tokens = await tokensFor(server, carol.id, LAN);
      expect(tokens.ha_auth_provider).toBe('trusted_networks');
      expect(await server.store.users.listUsers()).toHaveLength(before.length);
      const credentials = (await server.store.users.listCredentials(carol.id)).filter((c) => c.authProviderType === 'trusted_networks');
      expect(credentials).toEqual([expect.objectContaining({ authProviderId: null, data: { user_id: carol.id }, lookupKey: carol.id })]);
      // A second login uses the same credential.
      await tokensFor(server, carol.id, LAN);
      expect((await server.store.users.listCredentials(carol.id)).filter((c) => c.authProviderType === 'trusted_networks')).toHaveLength(1);
    });

    it('never asks for MFA (support_mfa is false), even for a user with TOTP set up', async () => {
      const user = await addUser(server, 'Mia');
      await server.store.mfa.setSecret('totp', user.id, newTotpSecret(), timeStep(server.clock.now));
      await codeFor(server, user.id, LAN);
    });

    it('keeps the flow bound to the IP that started it', async () => {
      const { flowId } = await flowFrom(server, LAN);
      expect(await jsonOf(await submitStep(server, flowId, { user: bob.id }, '192.168.0.21'))).toEqual({
        status: 400,
        body: { message: 'IP address changed' },
      });
    });

    it('aborts not_allowed when the chosen user was deactivated after the start (Home Assistant: 500)', async () => {
      const user = await addUser(server, 'Quinn');
      const { flowId } = await flowFrom(server, LAN);
      await server.store.users.updateUser({ ...user, isActive: false });
      expect(await jsonOf(await submitStep(server, flowId, { user: user.id }, LAN))).toEqual({ status: 200, body: notAllowed() });
    });

    it('blocks a local-only user from a trusted public address at completion (§3.3: Login blocked)', async () => {
      const user = await addUser(server, 'Lou', { localOnly: true });
      const { flowId } = await flowFrom(server, PUBLIC_TRUSTED);
      expect(await jsonOf(await submitStep(server, flowId, { user: user.id }, PUBLIC_TRUSTED))).toEqual({
        status: 403,
        body: { message: 'Login blocked: User cannot authenticate remotely' },
      });
      await codeFor(server, user.id, LAN);
    });
  });

  describe('allow_bypass_login', () => {
    it('answers POST /auth/login_flow with the code when exactly one user is offered', async () => {
      const response = await startFlow(server, { handler: BYPASS }, '192.168.0.50');
      const { status, body } = await jsonOf(response);
      const flowId = (body as { flow_id: string }).flow_id;
      expect({ status, body }).toEqual({ status: 200, body: createEntry(flowId, BYPASS) });
      const tokens = await exchange(server, (body as { result: string }).result, '192.168.0.50');
      expect(tokens.status).toBe(200);
      // The flow is over: it cannot be continued or aborted.
      expect((await deleteFlow(server, flowId)).status).toBe(404);
    });

    it('shows the form when several users, or none, are offered', async () => {
      const several = await flowFrom(server, LAN, BYPASS);
      expect(several.body).toEqual(userForm(several.flowId, expect.arrayContaining(everyone()) as never, BYPASS));
      const none = await flowFrom(server, '192.168.0.200', BYPASS);
      expect(none.body).toEqual(userForm(none.flowId, [], BYPASS));
    });

    it('still checks the redirect URI when the flow ends at its start (403)', async () => {
      const response = await startFlow(server, { handler: BYPASS, redirect_uri: 'https://elsewhere.example/cb' }, '192.168.0.50');
      expect(await jsonOf(response)).toEqual({ status: 403, body: { message: 'Invalid redirect URI' } });
    });
  });

  describe('tokens: the IP is checked again whenever one is used (§6.1 row 6)', () => {
    it('refuses the code from outside the networks, 403 with the provider\'s words', async () => {
      const code = await codeFor(server, bob.id, LAN);
      expect(await jsonOf(await exchange(server, code, OUTSIDE))).toEqual({
        status: 403,
        body: { error: 'access_denied', error_description: 'Not in trusted_networks' },
      });
    });

    it('refreshes from a trusted network, and refuses from outside and from the proxy', async () => {
      const { refresh_token: refreshToken } = await tokensFor(server, bob.id, LAN);
      expect((await refresh(server, refreshToken, '192.168.0.99')).status).toBe(200);
      expect(await jsonOf(await refresh(server, refreshToken, OUTSIDE))).toEqual({
        status: 403,
        body: { error: 'access_denied', error_description: 'Not in trusted_networks' },
      });
      expect(await jsonOf(await refresh(server, refreshToken))).toEqual({
        status: 403,
        body: { error: 'access_denied', error_description: "Can't allow access from a proxy server" },
      });
      expect((await refresh(server, refreshToken, LAN)).status).toBe(200);
    });

    it('leaves the tokens of a homeassistant login alone', async () => {
      expect((await refresh(server, ownersRefreshToken, OUTSIDE)).status).toBe(200);
      expect((await refresh(server, ownersRefreshToken)).status).toBe(200);
    });
  });
});

describe.each(['sqlite', 'redis'] as const)('trusted_networks across two instances over %s', (kind: StoreKind) => {
  const TWO = `
auth_providers:
  - type: trusted_networks
    trusted_networks: [192.168.0.0/24]
`;
  let a: TestServer;
  let b: TestServer;
  let withoutProvider: TestServer;
  let unconfigured: TestServer;
  let owner: User;
  beforeAll(async () => {
    a = await startTestServer(kind, START, { trustProxy: ['127.0.0.1'], authConfig: configWith(TWO) });
    const shared = { trustProxy: ['127.0.0.1'], store: a.store };
    [b, withoutProvider, unconfigured] = await Promise.all([
      startTestServer(kind, START, { ...shared, authConfig: configWith(TWO) }),
      startTestServer(kind, START, { ...shared, authConfig: configWith('auth_providers: [{type: homeassistant}]') }),
      startTestServer(kind, START, { ...shared, authConfig: configWith(`${TWO.replace('[192.168.0.0/24]', '[]')}`) }),
    ]);
    await onboardOwner(a);
    const [user] = await a.store.users.listUsers();
    if (user === undefined) throw new Error('no owner');
    owner = user;
  });
  afterAll(async () => {
    await Promise.all([b.close(), withoutProvider.close(), unconfigured.close()]);
    await a.close();
  });

  it('finishes on one instance a flow started on the other (the flow, and its users, are a stored record)', async () => {
    const { flowId, body } = await flowFrom(a, LAN);
    expect(body).toEqual(userForm(flowId, [[owner.id, 'Alice']]));
    const done = await jsonOf(await submitStep(b, flowId, { user: owner.id }, LAN));
    expect(done).toEqual({ status: 200, body: createEntry(flowId) });
    expect((await exchange(a, (done.body as { result: string }).result, LAN)).status).toBe(200);
  });

  it('aborts the step on an instance whose networks no longer hold the client', async () => {
    const { flowId } = await flowFrom(a, LAN);
    expect(await jsonOf(await submitStep(unconfigured, flowId, { user: owner.id }, LAN))).toEqual({ status: 200, body: notAllowed() });
  });

  it('refuses a token of the provider where it is unconfigured or gone (Home Assistant: 500 for the latter)', async () => {
    const { refresh_token: refreshToken } = await tokensFor(a, owner.id, LAN);
    expect(await jsonOf(await refresh(unconfigured, refreshToken, LAN))).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'trusted_networks is not configured' },
    });
    expect(await jsonOf(await refresh(withoutProvider, refreshToken, LAN))).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'Auth provider trusted_networks, None not available' },
    });
    expect((await refresh(b, refreshToken, LAN)).status).toBe(200);
  });
});
