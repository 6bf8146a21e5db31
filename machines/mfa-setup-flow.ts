/**
 * MFA setup flow: `auth/setup_mfa` (homeassistant/components/auth/mfa_setup_flow.py and the TOTP
 * module's `TotpSetupFlow`, homeassistant/auth/mfa_modules/totp.py; ha-auth-spec §12.2, §14.5).
 *
 *   awaiting_code ──SUBMIT_CODE (valid, within the window)──▶ confirmed   (emits mfaConfirmed)
 *        │        └──SUBMIT_CODE (wrong code)──▶ awaiting_code (errors.base = invalid_code)
 *        └──SUBMIT_CODE (after the window)──▶ expired
 *
 * Home Assistant keeps setup flows in process memory, forever, and lets any connection that knows a
 * flow id continue it (§16.2 #6). Here a flow is a persisted record bound to the user who started it
 * (the service refuses another user's submission before it reaches the machine), with a lifetime:
 * the store's TTL collects it, and the guard on `now` decides.
 *
 * The machine never checks a code: the service does (TOTP, current step only, as Home Assistant's
 * setup does) and sends the verdict with the time step it matched. Wrong codes are not limited, as in
 * Home Assistant: the person typing them already holds the secret. Enabling the module is the effect
 * of the `mfaConfirmed` event, performed only by the request whose write confirmed the flow.
 */
import { assign, emit, setup } from 'xstate';

export const MFA_SETUP_FLOW_VERSION = 1;

/** How long a setup flow accepts its code: time enough to scan a QR code and type six digits. */
export const MFA_SETUP_WINDOW_MS = 10 * 60 * 1000;

export interface MfaSetupFlowInput {
  flowId: string;
  userId: string;
  moduleId: string;
  /** The secret the flow offers (an HMAC key, base32), stored only once a code proves it was copied. */
  secret: string;
  createdAt: number;
}

export interface MfaSetupFlowContext extends MfaSetupFlowInput {
  error: 'invalid_code' | null;
  confirmedAt: number | null;
}

export type MfaSetupFlowEvent = {
  type: 'SUBMIT_CODE';
  now: number;
  /** The time step the code matched, or null for a wrong code. Logins then need a later step. */
  step: number | null;
};

export type MfaSetupFlowEmitted = { type: 'mfaConfirmed'; userId: string; moduleId: string; secret: string; step: number };

export function isPastSetupWindow(context: Pick<MfaSetupFlowContext, 'createdAt'>, now: number): boolean {
  return now > context.createdAt + MFA_SETUP_WINDOW_MS;
}

export const mfaSetupFlowMachine = setup({
  types: {
    input: {} as MfaSetupFlowInput,
    context: {} as MfaSetupFlowContext,
    events: {} as MfaSetupFlowEvent,
    emitted: {} as MfaSetupFlowEmitted,
  },
  guards: {
    isPastWindow: ({ context, event }) => isPastSetupWindow(context, event.now),
    isValidCode: ({ event }) => event.step !== null,
  },
  actions: {
    rejectCode: assign({ error: 'invalid_code' as const }),
    confirm: assign(({ event }) => ({ error: null, confirmedAt: event.now })),
    reportConfirmed: emit(({ context, event }) => ({
      type: 'mfaConfirmed' as const,
      userId: context.userId,
      moduleId: context.moduleId,
      secret: context.secret,
      step: event.step ?? 0,
    })),
  },
}).createMachine({
  id: 'mfaSetupFlow',
  context: ({ input }) => ({ ...input, error: null, confirmedAt: null }),
  initial: 'awaiting_code',
  states: {
    awaiting_code: {
      on: {
        SUBMIT_CODE: [
          { guard: 'isPastWindow', target: 'expired' },
          { guard: 'isValidCode', target: 'confirmed', actions: ['confirm', 'reportConfirmed'] },
          { actions: 'rejectCode' },
        ],
      },
    },
    confirmed: { type: 'final' },
    expired: { type: 'final' },
  },
});
