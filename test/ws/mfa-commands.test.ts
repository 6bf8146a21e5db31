/**
 * `auth/setup_mfa`, `auth/depose_mfa` and `auth/current_user`'s `mfa_modules` (ha-auth-spec §12.1,
 * §12.2, §14.5) over a real socket, on both stores: the TOTP setup form and its entry as Home
 * Assistant sends them, and the errors Home Assistant leaves unanswered.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MFA_SETUP_WINDOW_MS } from '../../machines/mfa-setup-flow.js';
import { signAccessToken } from '../../src/domain/access-token.js';
import { aUser, issueRefreshToken } from '../support/fixtures.js';
import { setUpTotp, STEP_MS, totpAt, TWO_TOTP_MODULES, wrongCode, type SetupForm } from '../support/mfa.js';
import { buildApp } from '../../src/app.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { aLoggedInUser, failure, success } from './ws-helpers.js';
import { onboardOwner } from '../support/http-client.js';

const HEX32 = /^[0-9a-f]{32}$/;
const CODE_SCHEMA = [{ type: 'string', name: 'code', required: true }];
const UNKNOWN_FLOW = ['not_found', 'Invalid flow specified'] as const;

function setupForm(flowId: string, secret: string, name: string, errors: Record<string, string> = {}) {
  return {
    type: 'form',
    flow_id: flowId,
    handler: 'totp',
    data_schema: CODE_SCHEMA,
    errors,
    description_placeholders: {
      code: secret,
      url: `otpauth://totp/Home%20Assistant:${name}?secret=${secret}&issuer=Home%20Assistant`,
      qr_code: expect.stringMatching(/^<svg [^\n]*<\/svg>$/) as unknown,
    },
    last_step: null,
    preview: null,
    step_id: 'init',
  };
}

describe.each(['sqlite', 'redis'] as const)('MFA setup over the WebSocket (%s)', (kind) => {
  let server: TestServer;
  let socket: TestSocket;
  beforeEach(async () => {
    server = await startTestServer(kind);
    socket = await TestSocket.authenticated(server, (await onboardOwner(server)).access_token);
  });
  afterEach(async () => {
    socket.close();
    await server.close();
  });

  const start = async (moduleId = 'totp') => (await socket.result({ type: 'auth/setup_mfa', mfa_module_id: moduleId })) as SetupForm;
  const submit = (flowId: string, userInput?: unknown) =>
    socket.command({ type: 'auth/setup_mfa', flow_id: flowId, ...(userInput === undefined ? {} : { user_input: userInput }) });
  const mfaModules = async (on = socket) => ((await on.result({ type: 'auth/current_user' })) as { mfa_modules: unknown }).mfa_modules;

  it('starts with a 32-character secret, its otpauth URL and an SVG QR code', async () => {
    const form = await start();
    const secret = form.description_placeholders.code;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(form).toEqual(setupForm(form.flow_id, secret, 'Alice'));
    expect(form.flow_id).toMatch(HEX32);
    expect((await start()).description_placeholders.code).not.toBe(secret);
  });

  it('shows the same form with invalid_code for a wrong code, and finishes with the secret for the right one', async () => {
    const form = await start();
    const secret = form.description_placeholders.code;
    expect(await submit(form.flow_id, { code: wrongCode(secret, server.clock.now) })).toEqual(
      success(2, setupForm(form.flow_id, secret, 'Alice', { base: 'invalid_code' })),
    );
    // Setup accepts the current step only (pyotp's `verify` without a window).
    expect((await submit(form.flow_id, { code: totpAt(secret, server.clock.now - STEP_MS) })).result).toEqual(
      setupForm(form.flow_id, secret, 'Alice', { base: 'invalid_code' }),
    );
    expect(await submit(form.flow_id, { code: totpAt(secret, server.clock.now) })).toEqual(
      success(4, {
        type: 'create_entry',
        flow_id: form.flow_id,
        handler: 'totp',
        data: { result: secret },
        description: null,
        description_placeholders: null,
        context: {},
      }),
    );
    expect(await server.store.mfa.getSecret('totp', (await server.store.users.listUsers())[0]?.id ?? '')).toBe(secret);
    expect(await mfaModules()).toEqual([{ id: 'totp', name: 'Authenticator app', enabled: true }]);
    // A finished flow is gone.
    expect(await submit(form.flow_id, { code: totpAt(secret, server.clock.now) })).toEqual(failure(6, ...UNKNOWN_FLOW));
  });

  it('shows the form again, same secret, for a continue without user_input', async () => {
    const form = await start();
    expect(await submit(form.flow_id)).toEqual(success(2, setupForm(form.flow_id, form.description_placeholders.code, 'Alice')));
    expect((await submit(form.flow_id, null)).result).toEqual(setupForm(form.flow_id, form.description_placeholders.code, 'Alice'));
  });

  it('answers invalid_format for user_input the step refuses, and the flow goes on', async () => {
    const form = await start();
    const secret = form.description_placeholders.code;
    for (const userInput of [{}, { code: 123456 }, { code: '123456', extra: 1 }, 'abc', [1]]) {
      const reply = await submit(form.flow_id, userInput);
      expect(reply, JSON.stringify(userInput)).toMatchObject({ success: false, error: { code: 'invalid_format' } });
    }
    expect(((await submit(form.flow_id, { code: totpAt(secret, server.clock.now) })).result as { type: string }).type).toBe('create_entry');
  });

  it('answers not_found for an unknown flow, and for another user\'s flow, which stays its owner\'s', async () => {
    expect(await submit('0'.repeat(32), { code: '123456' })).toEqual(failure(1, ...UNKNOWN_FLOW));
    const form = await start();
    const bob = await aLoggedInUser(server, 'bob');
    const other = await TestSocket.authenticated(server, bob.tokens.access_token);
    const secret = form.description_placeholders.code;
    expect(await other.command({ type: 'auth/setup_mfa', flow_id: form.flow_id, user_input: { code: totpAt(secret, server.clock.now) } })).toEqual(
      failure(1, ...UNKNOWN_FLOW),
    );
    expect(await other.command({ type: 'auth/setup_mfa', flow_id: form.flow_id })).toEqual(failure(2, ...UNKNOWN_FLOW));
    expect(await mfaModules(other)).toEqual([{ id: 'totp', name: 'Authenticator app', enabled: false }]);
    other.close();
    expect(((await submit(form.flow_id, { code: totpAt(secret, server.clock.now) })).result as { type: string }).type).toBe('create_entry');
  });

  it('forgets a flow once its window has passed', async () => {
    const form = await start();
    server.clock.now += MFA_SETUP_WINDOW_MS + 1;
    const code = totpAt(form.description_placeholders.code, server.clock.now);
    expect(await submit(form.flow_id, { code })).toEqual(failure(2, ...UNKNOWN_FLOW));
    expect(await mfaModules()).toEqual([{ id: 'totp', name: 'Authenticator app', enabled: false }]);
  });

  it('answers no_module for a module that is not configured, and invalid_format without exactly one of module and flow', async () => {
    expect(await socket.command({ type: 'auth/setup_mfa', mfa_module_id: 'sms' })).toEqual(failure(1, 'no_module', 'MFA module sms is not found'));
    expect(await socket.command({ type: 'auth/setup_mfa', mfa_module_id: 'totp', flow_id: 'x' })).toMatchObject({
      success: false,
      error: { code: 'invalid_format', message: expect.stringContaining("two or more values in the same group of exclusion 'module_or_flow_id'") as unknown },
    });
    expect(await socket.command({ type: 'auth/setup_mfa' })).toEqual(
      failure(3, 'invalid_format', 'must contain at least one of mfa_module_id, flow_id.'),
    );
  });

  it('auth/depose_mfa forgets the secret and answers "done", also for a module not set up', async () => {
    await setUpTotp(server, socket);
    expect(await socket.command({ type: 'auth/depose_mfa', mfa_module_id: 'totp' })).toEqual(success(3, 'done'));
    expect(await mfaModules()).toEqual([{ id: 'totp', name: 'Authenticator app', enabled: false }]);
    expect(await socket.command({ type: 'auth/depose_mfa', mfa_module_id: 'totp' })).toEqual(success(5, 'done'));
    expect(await socket.command({ type: 'auth/depose_mfa', mfa_module_id: 'sms' })).toEqual(
      failure(6, 'disable_failed', 'Cannot disable MFA Module sms: Unable find multi-factor auth module: sms'),
    );
  });

  it('refuses system users (ws_require_user(allow_system_user=False))', async () => {
    const system = aUser({ name: 'Supervisor', systemGenerated: true, groupIds: ['system-admin'] });
    await server.store.users.createUser(system);
    const token = await issueRefreshToken(server.store, system.id, server.clock.now, { tokenType: 'system', clientId: null });
    const other = await TestSocket.authenticated(server, await signAccessToken(token.id, token.jwtKey, server.clock.now, 1800));
    expect(await other.command({ type: 'auth/setup_mfa', mfa_module_id: 'totp' })).toEqual(failure(1, 'not_system_user', 'Not allowed as system user'));
    expect(await other.command({ type: 'auth/depose_mfa', mfa_module_id: 'totp' })).toEqual(failure(2, 'not_system_user', 'Not allowed as system user'));
    other.close();
  });

  it('deleting a user deletes its MFA secret', async () => {
    const bob = await aLoggedInUser(server, 'bob');
    const other = await TestSocket.authenticated(server, bob.tokens.access_token);
    await setUpTotp(server, other);
    expect(await server.store.mfa.listModuleIds(bob.user.id)).toEqual(['totp']);
    expect(await socket.command({ type: 'config/auth/delete', user_id: bob.user.id })).toEqual(success(1, null));
    expect(await server.store.mfa.listModuleIds(bob.user.id)).toEqual([]);
    other.close();
  });
});

describe.each(['sqlite', 'redis'] as const)('MFA across two instances of one store (%s)', (kind) => {
  it('continues a setup flow and a login flow on another instance than the one that started them', async () => {
    const server = await startTestServer(kind);
    const { access_token: accessToken } = await onboardOwner(server);
    const second = await buildApp({ store: server.store, clock: () => server.clock.now, timers: server.timers, bcryptRounds: 4 });
    const secondUrl = await second.listen({ port: 0, host: '127.0.0.1' });
    const [here, there] = [await TestSocket.authenticated(server, accessToken), await TestSocket.authenticated({ baseUrl: secondUrl }, accessToken)];
    try {
      const form = (await here.result({ type: 'auth/setup_mfa', mfa_module_id: 'totp' })) as SetupForm;
      const secret = form.description_placeholders.code;
      const code = totpAt(secret, server.clock.now);
      expect(await there.result({ type: 'auth/setup_mfa', flow_id: form.flow_id, user_input: { code } })).toMatchObject({ type: 'create_entry' });
      server.clock.now += STEP_MS;
      const post = (baseUrl: string, path: string, body: unknown) =>
        fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const started = (await (await post(server.baseUrl, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI })).json()) as { flow_id: string };
      const step = async (baseUrl: string, body: object) =>
        (await (await post(baseUrl, `/auth/login_flow/${started.flow_id}`, { client_id: CLIENT_ID, ...body })).json()) as { type: string; step_id?: string };
      expect(await step(secondUrl, { username: 'alice', password: 'secret-password' })).toMatchObject({ type: 'form', step_id: 'mfa' });
      expect(await step(server.baseUrl, { code: totpAt(secret, server.clock.now) })).toMatchObject({ type: 'create_entry' });
    } finally {
      here.close();
      there.close();
      await second.close();
      await server.close();
    }
  });
});

describe.each(['sqlite', 'redis'] as const)('auth/current_user with two MFA modules (%s)', (kind) => {
  it('lists every configured module in configuration order, enabled where set up', async () => {
    const server = await startTestServer(kind, undefined, { authConfig: TWO_TOTP_MODULES });
    const socket = await TestSocket.authenticated(server, (await onboardOwner(server)).access_token);
    const modules = async () => ((await socket.result({ type: 'auth/current_user' })) as { mfa_modules: unknown }).mfa_modules;
    expect(await modules()).toEqual([
      { id: 'totp', name: 'Authenticator app', enabled: false },
      { id: 'backup', name: 'Backup phone', enabled: false },
    ]);
    const form = (await socket.result({ type: 'auth/setup_mfa', mfa_module_id: 'backup' })) as SetupForm & { handler: string };
    expect(form.handler).toBe('backup');
    await socket.result({ type: 'auth/setup_mfa', flow_id: form.flow_id, user_input: { code: totpAt(form.description_placeholders.code, server.clock.now) } });
    expect(await modules()).toEqual([
      { id: 'totp', name: 'Authenticator app', enabled: false },
      { id: 'backup', name: 'Backup phone', enabled: true },
    ]);
    socket.close();
    await server.close();
  });
});
