import { describe, expect, it } from 'vitest';
import {
  MFA_SETUP_WINDOW_MS,
  mfaSetupFlowMachine,
  type MfaSetupFlowEvent,
  type MfaSetupFlowInput,
} from '../../machines/mfa-setup-flow.js';
import { describeModel, persisted, send, start } from './model.js';

const CREATED_AT = Date.UTC(2025, 5, 1, 12, 0, 0);
const SOON = CREATED_AT + 1000;
const WINDOW_END = CREATED_AT + MFA_SETUP_WINDOW_MS;
const STEP = Math.floor(SOON / 30_000);

const input: MfaSetupFlowInput = {
  flowId: 'flow-1',
  userId: 'user-1',
  moduleId: 'totp',
  secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  createdAt: CREATED_AT,
};

const code = (step: number | null, now = SOON): MfaSetupFlowEvent => ({ type: 'SUBMIT_CODE', now, step });

const flow = () => start(mfaSetupFlowMachine, input);
type Flow = ReturnType<typeof flow>;

function after(snapshot: Flow, ...events: MfaSetupFlowEvent[]): Flow {
  return events.reduce((current, event) => send(mfaSetupFlowMachine, current, event).snapshot, snapshot);
}

describeModel('MFA setup flow', {
  machine: mfaSetupFlowMachine,
  input,
  events: [code(null), code(STEP), code(STEP, WINDOW_END), code(STEP, WINDOW_END + 1), code(null, WINDOW_END + 1)],
});

describe('MFA setup flow', () => {
  it('starts waiting for a code, without an error', () => {
    const started = flow();
    expect(started.value).toBe('awaiting_code');
    expect(started.context).toEqual({ ...input, error: null, confirmedAt: null });
  });

  it('keeps waiting after wrong codes, with invalid_code, and has no retry limit', () => {
    const wrong = after(flow(), ...Array.from({ length: 20 }, () => code(null)));
    expect(wrong.value).toBe('awaiting_code');
    expect(wrong.context.error).toBe('invalid_code');
  });

  it('confirms a right code and emits the secret and the step to enable, once', () => {
    const { snapshot, emitted } = send(mfaSetupFlowMachine, after(flow(), code(null)), code(STEP));
    expect(snapshot.value).toBe('confirmed');
    expect(snapshot.status).toBe('done');
    expect(snapshot.context).toMatchObject({ error: null, confirmedAt: SOON });
    expect(emitted).toEqual([{ type: 'mfaConfirmed', userId: 'user-1', moduleId: 'totp', secret: input.secret, step: STEP }]);
  });

  it('accepts a right code at the end of its window, and expires 1 ms later', () => {
    expect(after(flow(), code(STEP, WINDOW_END)).value).toBe('confirmed');
    const { snapshot, emitted } = send(mfaSetupFlowMachine, flow(), code(STEP, WINDOW_END + 1));
    expect(snapshot.value).toBe('expired');
    expect(emitted).toEqual([]);
  });

  it.each([
    ['confirmed', () => after(flow(), code(STEP))],
    ['expired', () => after(flow(), code(STEP, WINDOW_END + 1))],
  ])('once %s, ignores every code', (_name, reach) => {
    const final = reach();
    for (const event of [code(null), code(STEP), code(STEP + 1)]) {
      const { snapshot, emitted } = send(mfaSetupFlowMachine, final, event);
      expect(persisted(mfaSetupFlowMachine, snapshot)).toEqual(persisted(mfaSetupFlowMachine, final));
      expect(emitted).toEqual([]);
    }
  });
});
