/**
 * The login flow's MFA steps (ha-auth-spec §5.3, §5.4, §14.5) on both stores, with TOTP codes computed
 * from the secret at the server's clock: the `mfa` form and its errors, `valid_window=1`, the replay
 * rule (a code is good once), `too_many_retry`, `login_expired`, `select_mfa_module` with two modules.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MFA_SESSION_MS } from '../../machines/login-flow.js';
import { setUpTotp, STEP_MS, totpAt, TWO_TOTP_MODULES, wrongCode } from '../support/mfa.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { createEntry, HEX32, initForm, ISSUED_TOKENS, jsonOf, openFlow, submitStep } from './http-helpers.js';
import { exchangeCode, onboardOwner } from '../support/http-client.js';

const HANDLER = ['homeassistant', null];

function mfaForm(flowId: string, errors: Record<string, string> = {}, module = { id: 'totp', name: 'Authenticator app' }) {
  return {
    type: 'form',
    flow_id: flowId,
    handler: HANDLER,
    data_schema: [{ type: 'string', name: 'code', required: true }],
    errors,
    description_placeholders: { mfa_module_name: module.name, mfa_module_id: module.id },
    last_step: null,
    preview: null,
    step_id: 'mfa',
  };
}

function selectForm(flowId: string, errors: Record<string, string> = {}) {
  return {
    type: 'form',
    flow_id: flowId,
    handler: HANDLER,
    data_schema: [{ type: 'select', options: [['totp', 'Authenticator app'], ['backup', 'Backup phone']], name: 'multi_factor_auth_module' }],
    errors,
    description_placeholders: null,
    last_step: null,
    preview: null,
    step_id: 'select_mfa_module',
  };
}

const abort = (flowId: string, reason: string) => ({ type: 'abort', flow_id: flowId, handler: HANDLER, reason, description_placeholders: null });
const UNKNOWN_FLOW = { status: 404, body: { message: 'Invalid flow specified' } };
const MALFORMED = { status: 400, body: { message: 'User input malformed' } };

describe.each(['sqlite', 'redis'] as const)('login flow with TOTP (%s)', (kind) => {
  let server: TestServer;
  let socket: TestSocket;
  let secret: string;

  async function start(options: TestServerOptions = {}) {
    server = await startTestServer(kind, undefined, options);
    socket = await TestSocket.authenticated(server, (await onboardOwner(server)).access_token);
  }
  afterEach(async () => {
    socket.close();
    await server.close();
  });

  /** Opens a flow and submits Alice's password; returns the flow id and the answer. */
  async function credentials(password = 'secret-password') {
    const flowId = await openFlow(server);
    return { flowId, answer: await jsonOf(await submitStep(server, flowId, { username: 'alice', password })) };
  }
  const code = async (flowId: string, value: unknown) => jsonOf(await submitStep(server, flowId, { code: value }));
  const now = () => server.clock.now;

  describe('one module', () => {
    beforeEach(async () => {
      await start();
      secret = await setUpTotp(server, socket);
      // The setup used up the current step: logins start one step later.
      server.clock.now += STEP_MS;
    });

    it('asks for a code after the password, and issues a code that gives tokens for the right one', async () => {
      const { flowId, answer } = await credentials();
      expect(answer).toEqual({ status: 200, body: mfaForm(flowId) });
      expect(await code(flowId, totpAt(secret, now()))).toEqual({ status: 200, body: createEntry(flowId) });
    });

    it('gives tokens at the end of the flow (ha-auth-spec §5.4)', async () => {
      const { flowId } = await credentials();
      const done = await code(flowId, totpAt(secret, now()));
      const { result } = done.body as { result: string };
      expect(result).toMatch(HEX32);
      expect(await jsonOf(await exchangeCode(server, result))).toEqual({ status: 200, body: ISSUED_TOKENS });
    });

    it('keeps the init form with invalid_auth for a wrong password, and never asks for a code then', async () => {
      const { flowId, answer } = await credentials('wrong');
      expect(answer).toEqual({ status: 200, body: initForm(flowId, { base: 'invalid_auth' }) });
    });

    it('answers invalid_code for a wrong code and lets the user try again', async () => {
      const { flowId } = await credentials();
      expect(await code(flowId, wrongCode(secret, now()))).toEqual({ status: 200, body: mfaForm(flowId, { base: 'invalid_code' }) });
      expect(await code(flowId, totpAt(secret, now()))).toEqual({ status: 200, body: createEntry(flowId) });
    });

    it('refuses input that is not a code field as malformed', async () => {
      const { flowId } = await credentials();
      for (const body of [{}, { code: 123456 }, { code: null }, { code: '123456', extra: 1 }]) {
        expect(await jsonOf(await submitStep(server, flowId, body)), JSON.stringify(body)).toEqual(MALFORMED);
      }
      expect(await code(flowId, totpAt(secret, now()))).toEqual({ status: 200, body: createEntry(flowId) });
    });

    it('accepts the previous and the next step (valid_window=1), each only once and only forward', async () => {
      server.clock.now += 2 * STEP_MS;
      const first = await credentials();
      expect((await code(first.flowId, totpAt(secret, now() - STEP_MS))).body).toEqual(createEntry(first.flowId));
      const second = await credentials();
      expect((await code(second.flowId, totpAt(secret, now() + STEP_MS))).body).toEqual(createEntry(second.flowId));
      // The next step was accepted: the current one, never used, now comes too late.
      const third = await credentials();
      expect((await code(third.flowId, totpAt(secret, now()))).body).toEqual(mfaForm(third.flowId, { base: 'invalid_code' }));
      expect((await code(third.flowId, totpAt(secret, now() - 2 * STEP_MS))).body).toEqual(mfaForm(third.flowId, { base: 'invalid_code' }));
    });

    it('refuses a code accepted once, in another flow, until the next step', async () => {
      const first = await credentials();
      const used = totpAt(secret, now());
      expect((await code(first.flowId, used)).body).toEqual(createEntry(first.flowId));
      const second = await credentials();
      expect((await code(second.flowId, used)).body).toEqual(mfaForm(second.flowId, { base: 'invalid_code' }));
      server.clock.now += STEP_MS;
      expect((await code(second.flowId, totpAt(secret, now()))).body).toEqual(createEntry(second.flowId));
    });

    it('lets exactly one of two flows racing with the same code through', async () => {
      const [a, b] = [await credentials(), await credentials()];
      const same = totpAt(secret, now());
      const answers = await Promise.all([code(a.flowId, same), code(b.flowId, same)]);
      const types = answers.map(({ body }) => (body as { type: string; errors?: unknown }).type).sort();
      expect(types).toEqual(['create_entry', 'form']);
    });

    it('aborts with too_many_retry on the fifth wrong code and forgets the flow', async () => {
      const { flowId } = await credentials();
      const wrong = wrongCode(secret, now());
      for (let attempt = 1; attempt <= 4; attempt++) {
        expect(await code(flowId, wrong)).toEqual({ status: 200, body: mfaForm(flowId, { base: 'invalid_code' }) });
      }
      expect(await code(flowId, wrong)).toEqual({ status: 200, body: abort(flowId, 'too_many_retry') });
      expect(await code(flowId, totpAt(secret, now()))).toEqual(UNKNOWN_FLOW);
    });

    it('accepts a code 5 minutes after the flow started, aborts with login_expired 1 ms later, without using the code up', async () => {
      const [onTime, late, later] = [await credentials(), await credentials(), await credentials()];
      server.clock.now += MFA_SESSION_MS;
      expect((await code(onTime.flowId, totpAt(secret, now()))).body).toEqual(createEntry(onTime.flowId));
      server.clock.now += 1;
      expect(await code(late.flowId, totpAt(secret, now()))).toEqual({ status: 200, body: abort(late.flowId, 'login_expired') });
      expect(await code(late.flowId, totpAt(secret, now()))).toEqual(UNKNOWN_FLOW);
      // At a step nobody used: the expired flow refuses it and leaves it to a current flow.
      server.clock.now += STEP_MS;
      expect((await code(later.flowId, totpAt(secret, now()))).body).toEqual(abort(later.flowId, 'login_expired'));
      const fresh = await credentials();
      expect((await code(fresh.flowId, totpAt(secret, now()))).body).toEqual(createEntry(fresh.flowId));
    });

    it('answers invalid_code when the module was deposed after the password (checked against the dummy secret)', async () => {
      const { flowId } = await credentials();
      expect(await socket.result({ type: 'auth/depose_mfa', mfa_module_id: 'totp' })).toBe('done');
      expect((await code(flowId, totpAt(secret, now()))).body).toEqual(mfaForm(flowId, { base: 'invalid_code' }));
      // And the next login does not ask for a code any more.
      const next = await credentials();
      expect(next.answer).toEqual({ status: 200, body: createEntry(next.flowId) });
    });

    it('never asks a link_user flow for a code', async () => {
      const flowId = await openFlow(server, { type: 'link_user' });
      expect((await jsonOf(await submitStep(server, flowId, { username: 'alice', password: 'secret-password' }))).body).toEqual(
        createEntry(flowId),
      );
    });
  });

  describe('two modules', () => {
    let backup: string;
    beforeEach(async () => {
      await start({ authConfig: TWO_TOTP_MODULES });
      secret = await setUpTotp(server, socket, 'totp');
      backup = await setUpTotp(server, socket, 'backup');
      server.clock.now += STEP_MS;
    });

    it('asks which module, refuses a submission without a choice, and then asks that module for its code', async () => {
      const { flowId, answer } = await credentials();
      expect(answer).toEqual({ status: 200, body: selectForm(flowId) });
      expect(await jsonOf(await submitStep(server, flowId, {}))).toEqual({ status: 200, body: selectForm(flowId, { base: 'invalid_auth_module' }) });
      const chosen = await jsonOf(await submitStep(server, flowId, { multi_factor_auth_module: 'backup' }));
      expect(chosen).toEqual({ status: 200, body: mfaForm(flowId, {}, { id: 'backup', name: 'Backup phone' }) });
      // The other module's code is no code of this one.
      expect((await code(flowId, totpAt(secret, now()))).body).toEqual(mfaForm(flowId, { base: 'invalid_code' }, { id: 'backup', name: 'Backup phone' }));
      expect((await code(flowId, totpAt(backup, now()))).body).toEqual(createEntry(flowId));
    });

    it('refuses a module that was not offered as malformed input (the form\'s vol.In)', async () => {
      const { flowId } = await credentials();
      for (const choice of ['sms', null, 1]) {
        expect(await jsonOf(await submitStep(server, flowId, { multi_factor_auth_module: choice }))).toEqual(MALFORMED);
      }
      expect((await jsonOf(await submitStep(server, flowId, { multi_factor_auth_module: 'totp' }))).body).toEqual(mfaForm(flowId));
    });

    it('goes straight to the code when only one of the modules is set up', async () => {
      expect(await socket.result({ type: 'auth/depose_mfa', mfa_module_id: 'totp' })).toBe('done');
      const { flowId, answer } = await credentials();
      expect(answer.body).toEqual(mfaForm(flowId, {}, { id: 'backup', name: 'Backup phone' }));
      expect((await code(flowId, totpAt(backup, now()))).body).toEqual(createEntry(flowId));
    });
  });
});
