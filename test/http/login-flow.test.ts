/**
 * The login flow over HTTP (ha-auth-spec §3.2–§3.6, §5.1–§5.3): start, steps, completion and its
 * checks (§3.3 "Completion handling", §4.2, §9.2), abort, and the views' fixed answers, on a real
 * server over each store. The owner `alice` exists in every test (onboarded first).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOGIN_FLOW_TTL_MS } from '../../src/services/login/login-flows.js';
import { CLIENT_ID, startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { addLooseLogin, addUserWithLogin, createEntry, deleteFlow, expectHomeAssistantHeaders, HEX32, initForm, INVALID_CODE, ISSUED_TOKENS, jsonOf, openFlow, postRaw, startProxiedServer, submitStep, textOf } from './http-helpers.js';
import { exchangeCode, onboardOwner, startFlow } from '../support/http-client.js';

const ALICE = { username: 'alice', password: 'secret-password' };
const INVALID_FLOW = { status: 404, body: { message: 'Invalid flow specified' } };
const MALFORMED = { status: 400, body: { message: 'User input malformed' } };
const INVALID_CLIENT_ID = { status: 400, body: { message: 'Invalid client id' } };

/** Completes a flow and returns its authorization code. */
async function codeOf(response: Response, flowId: string): Promise<string> {
  const { status, body } = await jsonOf(response);
  expect({ status, body }).toEqual({ status: 200, body: createEntry(flowId) });
  return (body as { result: string }).result;
}

describe.each(['sqlite', 'redis'] as const)('login flow over %s', (kind: StoreKind) => {
  // One server (and one behind a proxy) per store for the whole block: starting a Redis-backed
  // server costs a few hundred ms. Tests that change a user make a user of their own.
  let server: TestServer;
  let proxied: TestServer;
  let aliceId: string;
  beforeAll(async () => {
    [server, proxied] = await Promise.all([startTestServer(kind), startProxiedServer(kind)]);
    await Promise.all([onboardOwner(server, ALICE.username, ALICE.password), onboardOwner(proxied, ALICE.username, ALICE.password)]);
    const [owner] = await server.store.users.listUsers();
    if (owner === undefined) throw new Error('no owner');
    aliceId = owner.id;
  });
  afterAll(async () => {
    await Promise.all([server.close(), proxied.close()]);
  });

  describe('POST /auth/login_flow (start)', () => {
    it('answers the init form of §5.1 with a new 32-hex flow id', async () => {
      const response = await startFlow(server);
      expectHomeAssistantHeaders(response);
      const { status, body } = await jsonOf(response);
      const flowId = (body as { flow_id: string }).flow_id;
      expect(flowId).toMatch(HEX32);
      expect({ status, body }).toEqual({ status: 200, body: initForm(flowId) });
      expect(await openFlow(server)).not.toBe(flowId);
    });

    it.each(['not a url', 'http:///x', 'https:/x', 'http://8.8.8.8/', 'ftp://example.com/', 'http://example.com/#frag'])(
      'refuses the client_id %j with 400 "Invalid client id" (never a 500)',
      async (clientId) => {
        const response = await startFlow(server, { client_id: clientId });
        expectHomeAssistantHeaders(response);
        expect(await jsonOf(response)).toEqual(INVALID_CLIENT_ID);
      },
    );

    it.each([[['nope', null]], [['homeassistant', 'other']]])('answers the unknown handler %j with 404', async (handler) => {
      const response = await startFlow(server, { handler });
      expect(await jsonOf(response)).toEqual({ status: 404, body: { message: 'Invalid handler specified' } });
    });

    it('checks the client_id before the handler', async () => {
      expect(await jsonOf(await startFlow(server, { client_id: 'http:///x', handler: ['nope', null] }))).toEqual(INVALID_CLIENT_ID);
    });
  });

  describe('POST /auth/login_flow/{flow_id} (step)', () => {
    it('re-renders the form with errors.base = invalid_auth on a wrong password, then completes on the right one', async () => {
      const flowId = await openFlow(server);
      const wrong = await submitStep(server, flowId, { username: 'alice', password: 'wrong' });
      expectHomeAssistantHeaders(wrong);
      expect(await jsonOf(wrong)).toEqual({ status: 200, body: initForm(flowId, { base: 'invalid_auth' }) });
      await codeOf(await submitStep(server, flowId, ALICE), flowId);
    });

    it('answers an unknown username with the same invalid_auth form', async () => {
      const flowId = await openFlow(server);
      const response = await submitStep(server, flowId, { username: 'mallory', password: 'secret-password' });
      expect(await jsonOf(response)).toEqual({ status: 200, body: initForm(flowId, { base: 'invalid_auth' }) });
    });

    it('completes with create_entry whose code works at /auth/token once', async () => {
      const flowId = await openFlow(server);
      const response = await submitStep(server, flowId, ALICE);
      expectHomeAssistantHeaders(response);
      const code = await codeOf(response, flowId);
      expect(await jsonOf(await exchangeCode(server, code))).toEqual({ status: 200, body: ISSUED_TOKENS });
      expect(await jsonOf(await exchangeCode(server, code))).toEqual({ status: 400, body: INVALID_CODE });
    });

    it('compares the username case-insensitively and trimmed: " Alice " logs in as alice', async () => {
      const usersBefore = (await server.store.users.listUsers()).length;
      const tokensBefore = (await server.store.refreshTokens.listByUser(aliceId)).length;
      const flowId = await openFlow(server);
      const code = await codeOf(await submitStep(server, flowId, { username: ' Alice ', password: ALICE.password }), flowId);
      expect(await jsonOf(await exchangeCode(server, code))).toEqual({ status: 200, body: ISSUED_TOKENS });
      expect(await server.store.users.listUsers()).toHaveLength(usersBefore);
      expect(await server.store.refreshTokens.listByUser(aliceId)).toHaveLength(tokensBefore + 1);
    });

    it('forgets a completed flow: further steps and DELETE are 404', async () => {
      const flowId = await openFlow(server);
      await codeOf(await submitStep(server, flowId, ALICE), flowId);
      const again = await submitStep(server, flowId, ALICE);
      expectHomeAssistantHeaders(again);
      expect(await jsonOf(again)).toEqual(INVALID_FLOW);
      expect(await jsonOf(await deleteFlow(server, flowId))).toEqual(INVALID_FLOW);
    });

    it('answers an unknown flow id with 404 "Invalid flow specified"', async () => {
      const response = await submitStep(server, 'f'.repeat(32), ALICE);
      expectHomeAssistantHeaders(response);
      expect(await jsonOf(response)).toEqual(INVALID_FLOW);
    });

    it('refuses an invalid client_id with 400 before looking at the flow, and keeps the flow', async () => {
      const flowId = await openFlow(server);
      expect(await jsonOf(await submitStep(server, flowId, { ...ALICE, client_id: 'http:///x' }))).toEqual(INVALID_CLIENT_ID);
      expect(await jsonOf(await submitStep(server, 'f'.repeat(32), { ...ALICE, client_id: 'http://8.8.8.8/' }))).toEqual(
        INVALID_CLIENT_ID,
      );
      await codeOf(await submitStep(server, flowId, ALICE), flowId);
    });

    it.each([
      ['a missing password', { username: 'alice' }],
      ['an extra field', { ...ALICE, code: '123456' }],
      ['a password that is not a string', { username: 'alice', password: 123456 }],
    ])('answers %s with 400 "User input malformed" and keeps the flow', async (_label, input) => {
      const flowId = await openFlow(server);
      const response = await submitStep(server, flowId, input);
      expectHomeAssistantHeaders(response);
      expect(await jsonOf(response)).toEqual(MALFORMED);
      await codeOf(await submitStep(server, flowId, ALICE), flowId);
    });

    it('answers 403 "Invalid redirect URI" on completion when the redirect_uri is of another origin, and drops the flow', async () => {
      const flowId = await openFlow(server, { redirect_uri: 'https://evil.example/cb' });
      const response = await submitStep(server, flowId, ALICE);
      expectHomeAssistantHeaders(response);
      expect(await jsonOf(response)).toEqual({ status: 403, body: { message: 'Invalid redirect URI' } });
      expect(await jsonOf(await submitStep(server, flowId, ALICE))).toEqual(INVALID_FLOW);
    });

    it('checks the redirect_uri against the client_id sent with the completing step (§3.3, completion 1)', async () => {
      const flowId = await openFlow(server, { redirect_uri: 'https://app.example/cb' });
      const completed = await submitStep(server, flowId, { ...ALICE, client_id: 'https://app.example/' });
      const code = await codeOf(completed, flowId);
      expect(await jsonOf(await exchangeCode(server, code, CLIENT_ID))).toEqual({ status: 400, body: INVALID_CODE });
    });

    it('lets the iOS companion app redirect to homeassistant://auth-callback', async () => {
      const ios = 'https://home-assistant.io/iOS';
      const flowId = await openFlow(server, { client_id: ios, redirect_uri: 'homeassistant://auth-callback' });
      const code = await codeOf(await submitStep(server, flowId, { ...ALICE, client_id: ios }), flowId);
      expect(await jsonOf(await exchangeCode(server, code, ios))).toEqual({ status: 200, body: ISSUED_TOKENS });
    });

    it('compares the companion-app pairs exactly: https://home-assistant.io/ios (lowercase) is refused', async () => {
      const ios = 'https://home-assistant.io/ios';
      const flowId = await openFlow(server, { client_id: ios, redirect_uri: 'homeassistant://auth-callback' });
      const response = await submitStep(server, flowId, { ...ALICE, client_id: ios });
      expect(await jsonOf(response)).toEqual({ status: 403, body: { message: 'Invalid redirect URI' } });
    });

    it('blocks an inactive user with 403 "Login blocked: User is not active", and drops the flow', async () => {
      const ivan = await addUserWithLogin(server, 'ivan', 'ivan-password');
      const flowId = await openFlow(server);
      const credentials = { username: 'ivan', password: 'ivan-password' };
      expect((await jsonOf(await submitStep(server, await openFlow(server), credentials))).status).toBe(200);
      expect(await server.store.users.updateUser({ ...ivan, isActive: false })).toBe(true);
      const response = await submitStep(server, flowId, credentials);
      expectHomeAssistantHeaders(response);
      expect(await jsonOf(response)).toEqual({ status: 403, body: { message: 'Login blocked: User is not active' } });
      expect(await jsonOf(await submitStep(server, flowId, credentials))).toEqual(INVALID_FLOW);
    });

    it('completes a link_user flow for a credential that has no user, without creating one', async () => {
      await addLooseLogin(server, 'bob', 'bob-password');
      const flowId = await openFlow(server, { type: 'link_user' });
      const usersBefore = await server.store.users.listUsers();
      const code = await codeOf(await submitStep(server, flowId, { username: 'bob', password: 'bob-password' }), flowId);
      expect(await server.store.users.listUsers()).toHaveLength(usersBefore.length);
      // Exchanged at the token endpoint, such a code makes a user for the new credential (§3.6).
      expect(await jsonOf(await exchangeCode(server, code))).toEqual({ status: 200, body: ISSUED_TOKENS });
      const known = new Set(usersBefore.map((user) => user.id));
      const added = (await server.store.users.listUsers()).filter((user) => !known.has(user.id));
      expect(added).toEqual([expect.objectContaining({ name: 'bob', isOwner: false })]);
    });
  });

  describe('client IP (behind a trusted proxy)', () => {
    const proxy = () => proxied;

    it('answers a step from another IP with 400 "IP address changed" and keeps the flow for the first IP', async () => {
      const flowId = await openFlow(proxy(), {}, '192.168.1.20');
      const moved = await submitStep(proxy(), flowId, ALICE, '192.168.1.21');
      expectHomeAssistantHeaders(moved);
      expect(await jsonOf(moved)).toEqual({ status: 400, body: { message: 'IP address changed' } });
      await codeOf(await submitStep(proxy(), flowId, ALICE, '192.168.1.20'), flowId);
    });

    it('checks the IP before the step input', async () => {
      const flowId = await openFlow(proxy(), {}, '192.168.1.20');
      expect(await jsonOf(await submitStep(proxy(), flowId, { username: 'alice' }, '192.168.1.21'))).toEqual({
        status: 400,
        body: { message: 'IP address changed' },
      });
    });

    it('blocks a local-only user from a public IP, and lets it in from a private one (§9.2)', async () => {
      await addUserWithLogin(proxy(), 'lou', 'lou-password', { localOnly: true });
      const credentials = { username: 'lou', password: 'lou-password' };
      const remote = await openFlow(proxy(), {}, '8.8.8.8');
      expect(await jsonOf(await submitStep(proxy(), remote, credentials, '8.8.8.8'))).toEqual({
        status: 403,
        body: { message: 'Login blocked: User cannot authenticate remotely' },
      });
      const local = await openFlow(proxy(), {}, '192.168.1.20');
      await codeOf(await submitStep(proxy(), local, credentials, '192.168.1.20'), local);
    });
  });

  describe('DELETE and GET', () => {
    it('DELETE aborts an open flow (200 "Flow aborted"), after which it is unknown', async () => {
      const flowId = await openFlow(server);
      const response = await deleteFlow(server, flowId);
      expectHomeAssistantHeaders(response);
      expect(await jsonOf(response)).toEqual({ status: 200, body: { message: 'Flow aborted' } });
      expect(await jsonOf(await submitStep(server, flowId, ALICE))).toEqual(INVALID_FLOW);
      const again = await deleteFlow(server, flowId);
      expectHomeAssistantHeaders(again);
      expect(await jsonOf(again)).toEqual(INVALID_FLOW);
    });

    it('DELETE of an unknown flow is 404', async () => {
      expect(await jsonOf(await deleteFlow(server, 'f'.repeat(32)))).toEqual(INVALID_FLOW);
    });

    it('GET /auth/login_flow is 405 with an empty body', async () => {
      const response = await fetch(`${server.baseUrl}/auth/login_flow`);
      expectHomeAssistantHeaders(response);
      expect(await textOf(response)).toEqual({ status: 405, contentType: null, text: '' });
    });

    it('GET /auth/login_flow/{flow_id} is always 404 "Invalid flow specified", even for an open flow', async () => {
      const flowId = await openFlow(server);
      const response = await fetch(`${server.baseUrl}/auth/login_flow/${flowId}`);
      expectHomeAssistantHeaders(response);
      expect(await jsonOf(response)).toEqual(INVALID_FLOW);
      await codeOf(await submitStep(server, flowId, ALICE), flowId);
    });
  });
});

describe('login flow request validation and lifetime (SQLite)', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer('sqlite');
    await onboardOwner(server, ALICE.username, ALICE.password);
  });
  afterEach(async () => {
    await server.close();
  });

  const incorrect = (problem: string) => ({ status: 400, body: { message: `Message format incorrect: ${problem}` } });

  it.each([
    ['a handler given as a string', { handler: 'homeassistant' }, "expected a list for dictionary value @ data['handler']"],
    ['a handler of three items', { handler: ['homeassistant', null, null] }, "length of value must be at most 2 for dictionary value @ data['handler']"],
    ['a handler of one item', { handler: ['homeassistant'] }, "length of value must be at least 2 for dictionary value @ data['handler']"],
    ['a handler with a number', { handler: ['homeassistant', 1] }, "expected str @ data['handler'][1]"],
    ['a missing redirect_uri', { redirect_uri: undefined }, "required key not provided @ data['redirect_uri']"],
    ['a client_id that is not a string', { client_id: 42 }, "expected str for dictionary value @ data['client_id']"],
    ['a type that is not a string', { type: true }, "expected str for dictionary value @ data['type']"],
    ['an extra key', { state: 'x' }, "extra keys not allowed @ data['state']"],
  ])('refuses a start with %s: 400 "Message format incorrect: …"', async (_label, overrides, problem) => {
    const response = await startFlow(server, overrides);
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual(incorrect(problem));
  });

  it('refuses a start body that is not JSON with 400 "Invalid JSON."', async () => {
    const response = await postRaw(server, '/auth/login_flow', '{"client_id":');
    expectHomeAssistantHeaders(response);
    expect(await jsonOf(response)).toEqual({ status: 400, body: { message: 'Invalid JSON.' } });
  });

  it('refuses a step without client_id, or not JSON, with the validator\'s 400 and keeps the flow', async () => {
    const flowId = await openFlow(server);
    const path = `/auth/login_flow/${flowId}`;
    expect(await jsonOf(await postRaw(server, path, JSON.stringify(ALICE)))).toEqual(
      incorrect("required key not provided @ data['client_id']"),
    );
    expect(await jsonOf(await postRaw(server, path, 'username=alice'))).toEqual({ status: 400, body: { message: 'Invalid JSON.' } });
    await codeOf(await submitStep(server, flowId, ALICE), flowId);
  });

  it(`forgets an abandoned flow after LOGIN_FLOW_TTL_MS (${LOGIN_FLOW_TTL_MS} ms)`, async () => {
    const flowId = await openFlow(server);
    server.clock.now += LOGIN_FLOW_TTL_MS - 1;
    expect(await jsonOf(await submitStep(server, flowId, { username: 'alice', password: 'wrong' }))).toEqual({
      status: 200,
      body: initForm(flowId, { base: 'invalid_auth' }),
    });
    server.clock.now += 1;
    expect(await jsonOf(await submitStep(server, flowId, ALICE))).toEqual(INVALID_FLOW);
    expect(await jsonOf(await deleteFlow(server, flowId))).toEqual(INVALID_FLOW);
  });

  it('answers an unsupported method on a login-flow path with aiohttp\'s 405 (spec §0)', async () => {
    const response = await fetch(`${server.baseUrl}/auth/login_flow`, { method: 'PUT' });
    expectHomeAssistantHeaders(response);
    const { status, text } = await textOf(response);
    expect({ status, text }).toEqual({ status: 405, text: '405: Method Not Allowed' });
  });
});
