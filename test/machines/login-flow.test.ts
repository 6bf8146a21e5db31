import { describe, expect, it } from 'vitest';
import {
  MFA_SESSION_MS,
  loginFlowMachine,
  type LoginFlowEvent,
  type LoginFlowInput,
  type MfaModuleChoice,
} from '../../machines/login-flow.js';
import { describeModel, persisted, send, start } from './model.js';

const CREATED_AT = Date.UTC(2025, 5, 1, 12, 0, 0);
const SOON = CREATED_AT + 1000;
const WINDOW_END = CREATED_AT + MFA_SESSION_MS;

const TOTP: MfaModuleChoice = { id: 'totp', maxRetries: 5 };
const NOTIFY: MfaModuleChoice = { id: 'notify', maxRetries: 0 };

function flowInput(credentialOnly = false): LoginFlowInput {
  return {
    flowId: 'flow-1',
    handler: ['homeassistant', null],
    clientId: 'https://app.example/',
    redirectUri: 'https://app.example/callback',
    ipAddress: '192.0.2.10',
    credentialOnly,
    createdAt: CREATED_AT,
    codeChallenge: null,
    userChoices: null,
  };
}

function accepted(mfaModules: MfaModuleChoice[]): LoginFlowEvent {
  const credential = { id: 'cred-1', authProviderType: 'homeassistant', authProviderId: null, data: { username: 'ada' }, lookupKey: 'ada' };
  return { type: 'CREDENTIALS_ACCEPTED', now: SOON, credential, userId: 'user-1', mfaModules };
}
const rejected: LoginFlowEvent = { type: 'CREDENTIALS_REJECTED', now: SOON };
const select = (moduleId: string | null): LoginFlowEvent => ({ type: 'SELECT_MFA_MODULE', now: SOON, moduleId });
const code = (valid: boolean, now = SOON): LoginFlowEvent => ({ type: 'MFA_CODE', now, valid });
const abort: LoginFlowEvent = { type: 'ABORT', now: SOON, reason: 'user_abort' };

const flow = (credentialOnly = false) => start(loginFlowMachine, flowInput(credentialOnly));
type Flow = ReturnType<typeof flow>;

/** Applies events in order, as successive stored writes. */
function after(snapshot: Flow, ...events: LoginFlowEvent[]): Flow {
  return events.reduce((current, event) => send(loginFlowMachine, current, event).snapshot, snapshot);
}

const atMfa = (module: MfaModuleChoice) => after(flow(), accepted([module]));

const modelEvents: LoginFlowEvent[] = [
  rejected,
  accepted([]),
  accepted([{ id: 'totp', maxRetries: 2 }]),
  accepted([{ id: 'totp', maxRetries: 2 }, NOTIFY]),
  select('totp'),
  select('notify'),
  select('sms'),
  code(true, WINDOW_END),
  code(false, WINDOW_END),
  code(true, WINDOW_END + 1),
  abort,
];
// `notify` allows unlimited wrong codes: stop counting once the counter has proven it grows.
const stopWhen = (snapshot: { context: { invalidMfaCodes: number } }) => snapshot.context.invalidMfaCodes >= 3;

describeModel('login flow', { machine: loginFlowMachine, input: flowInput(), events: modelEvents, stopWhen });

/** A trusted_networks flow (v3): the users it offers are context that every stored write keeps. */
const USERS_OFFERED: Array<[string, string | null]> = [['user-1', 'Ada'], ['user-2', null]];
const trustedNetworksInput = (): LoginFlowInput => ({ ...flowInput(), handler: ['trusted_networks', null], userChoices: USERS_OFFERED });

describeModel('login flow (trusted_networks, users offered)', {
  machine: loginFlowMachine,
  input: trustedNetworksInput(),
  events: modelEvents,
  stopWhen,
});

describe('login flow', () => {
  it('keeps asking for credentials after a rejection, with invalid_auth', () => {
    const retry = after(flow(), rejected);
    expect(retry.value).toBe('credentials');
    expect(retry.context.error).toBe('invalid_auth');

    const done = after(retry, accepted([]));
    expect(done.value).toBe('done');
    expect(done.context).toMatchObject({ error: null, userId: 'user-1', credential: { id: 'cred-1' } });
  });

  it('finishes a credential-only (link_user) flow without MFA, even for a user with modules', () => {
    const done = after(flow(true), accepted([TOTP, NOTIFY]));
    expect(done.value).toBe('done');
    expect(done.context.mfaModuleId).toBeNull();
  });

  it('finishes at once when the user has no MFA module', () => {
    expect(after(flow(), accepted([])).value).toBe('done');
  });

  it('goes straight to the only MFA module', () => {
    const mfa = atMfa(TOTP);
    expect(mfa.value).toBe('mfa');
    expect(mfa.context.mfaModuleId).toBe('totp');
  });

  it('asks which module when there are two, and refuses an unknown one', () => {
    const choosing = after(flow(), accepted([TOTP, NOTIFY]));
    expect(choosing.value).toBe('mfa_select');

    const unknown = after(choosing, select('sms'));
    expect(unknown.value).toBe('mfa_select');
    expect(unknown.context).toMatchObject({ error: 'invalid_auth_module', mfaModuleId: null });

    const none = after(choosing, select(null));
    expect(none.value).toBe('mfa_select');
    expect(none.context).toMatchObject({ error: 'invalid_auth_module', mfaModuleId: null });

    const chosen = after(unknown, select('notify'));
    expect(chosen.value).toBe('mfa');
    expect(chosen.context).toMatchObject({ error: null, mfaModuleId: 'notify' });
  });

  describe('the 5-minute MFA window (strict > in Home Assistant)', () => {
    it('accepts a valid code at exactly 5 minutes after the flow was created', () => {
      const done = after(atMfa(TOTP), code(true, WINDOW_END));
      expect(done.value).toBe('done');
      expect(done.context.abortReason).toBeNull();
    });

    it('aborts with login_expired 1 ms later, even with a valid code', () => {
      const late = after(atMfa(TOTP), code(true, WINDOW_END + 1));
      expect(late.value).toBe('aborted');
      expect(late.context.abortReason).toBe('login_expired');
    });
  });

  describe('wrong MFA codes', () => {
    it('keeps the flow on four wrong codes and aborts on the fifth when maxRetries is 5', () => {
      const fourWrong = after(atMfa(TOTP), code(false), code(false), code(false), code(false));
      expect(fourWrong.value).toBe('mfa');
      expect(fourWrong.context).toMatchObject({ error: 'invalid_code', invalidMfaCodes: 4 });

      const fifth = after(fourWrong, code(false));
      expect(fifth.value).toBe('aborted');
      expect(fifth.context).toMatchObject({ abortReason: 'too_many_retry', invalidMfaCodes: 5 });
    });

    it('never aborts on wrong codes when maxRetries is 0 (unlimited)', () => {
      const wrongCodes = Array.from({ length: 20 }, () => code(false));
      const stillAsking = after(atMfa(NOTIFY), ...wrongCodes);
      expect(stillAsking.value).toBe('mfa');
      expect(stillAsking.context.invalidMfaCodes).toBe(20);

      const done = after(stillAsking, code(true));
      expect(done.value).toBe('done');
      expect(done.context.error).toBeNull();
    });
  });

  it('keeps the users a trusted_networks flow offers, and ends it on not_allowed or the chosen user', () => {
    const offered = start(loginFlowMachine, trustedNetworksInput());
    expect(offered.context.userChoices).toEqual(USERS_OFFERED);

    const done = after(offered, accepted([]));
    expect(done.value).toBe('done');
    expect(done.context).toMatchObject({ userChoices: USERS_OFFERED, userId: 'user-1' });

    const refused = after(offered, { type: 'ABORT', now: SOON, reason: 'not_allowed' });
    expect(refused.value).toBe('aborted');
    expect(refused.context).toMatchObject({ userChoices: USERS_OFFERED, abortReason: 'not_allowed' });
  });

  const steps = {
    credentials: () => flow(),
    mfa_select: () => after(flow(), accepted([TOTP, NOTIFY])),
    mfa: () => atMfa(TOTP),
  };

  it.each(Object.entries(steps))('ABORT from %s ends the flow with the given reason', (state, reach) => {
    const step = reach();
    expect(step.value).toBe(state);

    const aborted = after(step, { type: 'ABORT', now: SOON, reason: 'not_allowed' });
    expect(aborted.value).toBe('aborted');
    expect(aborted.status).toBe('done');
    expect(aborted.context.abortReason).toBe('not_allowed');
  });

  const finals = {
    done: () => after(flow(), accepted([])),
    'aborted (login_expired)': () => after(atMfa(TOTP), code(true, WINDOW_END + 1)),
  };

  it.each(Object.entries(finals))('once %s, ignores ABORT and every other event', (_name, reach) => {
    const final = reach();
    const events = [abort, rejected, accepted([]), select('totp'), code(true), code(false)];
    for (const event of events) {
      const { snapshot, emitted } = send(loginFlowMachine, final, event);
      expect(persisted(loginFlowMachine, snapshot)).toEqual(persisted(loginFlowMachine, final));
      expect(emitted).toEqual([]);
    }
  });
});
