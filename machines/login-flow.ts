/**
 * Login flow: the steps behind `POST /auth/login_flow` (Home Assistant's `LoginFlow`,
 * homeassistant/auth/providers/__init__.py, and `AuthManagerFlowManager`, homeassistant/auth/__init__.py).
 *
 *   credentials ──CREDENTIALS_ACCEPTED──▶ done        (link_user flow, or no MFA module enabled)
 *        │                           ├──▶ mfa         (exactly one enabled module)
 *        │                           └──▶ mfa_select  ──SELECT_MFA_MODULE──▶ mfa ──MFA_CODE (valid)──▶ done
 *        └──CREDENTIALS_REJECTED──▶ credentials (errors.base = invalid_auth)
 *   any step ──ABORT──▶ aborted;  mfa ──MFA_CODE after 5 min / too many wrong codes──▶ aborted
 *
 * The machine never checks a password or a code: the service does (bcrypt, TOTP) and sends the
 * verdict. Home Assistant's MFA rules: the code must arrive within `MFA_SESSION_EXPIRATION` (5 min)
 * of the flow's creation, checked with a strict `>`; each wrong code counts, and when the count
 * reaches the module's `MAX_RETRY_TIME` (> 0) the flow aborts with `too_many_retry`.
 */
import { assign, setup } from 'xstate';
import type { LoginCredential } from './credential.js';

/** 2: `codeChallenge` (PKCE) in the context; 3: `userChoices` (trusted_networks); see src/stores/envelope.ts. */
export const LOGIN_FLOW_VERSION = 3;

/** `MFA_SESSION_EXPIRATION`, homeassistant/auth/const.py. */
export const MFA_SESSION_MS = 5 * 60 * 1000;

export interface MfaModuleChoice {
  id: string;
  /** `MAX_RETRY_TIME` of the module: 3 by default, 5 for TOTP; 0 means unlimited. */
  maxRetries: number;
}

export interface LoginFlowInput {
  flowId: string;
  handler: [string, string | null];
  clientId: string;
  redirectUri: string;
  ipAddress: string;
  credentialOnly: boolean;
  createdAt: number;
  /** RFC 7636: the S256 challenge the client sent at the start, handed on to the code; null without PKCE. */
  codeChallenge: string | null;
  /**
   * The users a trusted_networks flow offers, as `[user id, name]`, fixed when the flow starts (Home
   * Assistant builds the form's `vol.In({id: name})` then): the only ones its `init` step accepts.
   * Null for providers whose `init` step asks for something else.
   */
  userChoices: Array<[string, string | null]> | null;
}

export type FlowError = 'invalid_auth' | 'invalid_auth_module' | 'invalid_code';
export type FlowAbortReason = 'login_expired' | 'too_many_retry' | 'not_allowed' | 'unknown_error' | 'user_abort';

export interface LoginFlowContext extends LoginFlowInput {
  error: FlowError | null;
  credential: LoginCredential | null;
  userId: string | null;
  mfaModules: MfaModuleChoice[];
  mfaModuleId: string | null;
  invalidMfaCodes: number;
  abortReason: FlowAbortReason | null;
}

export type LoginFlowEvent =
  | {
      type: 'CREDENTIALS_ACCEPTED';
      now: number;
      credential: LoginCredential;
      userId: string | null;
      /** The user's enabled MFA modules; empty for new credentials and providers without MFA. */
      mfaModules: MfaModuleChoice[];
    }
  | { type: 'CREDENTIALS_REJECTED'; now: number }
  /** `moduleId` is null when the form came back without a choice. */
  | { type: 'SELECT_MFA_MODULE'; now: number; moduleId: string | null }
  | { type: 'MFA_CODE'; now: number; valid: boolean }
  | { type: 'ABORT'; now: number; reason: FlowAbortReason };

/** Past the MFA window (strict `>`, as Home Assistant compares): a code then aborts the flow. */
export function isPastMfaWindow(context: Pick<LoginFlowContext, 'createdAt'>, now: number): boolean {
  return now > context.createdAt + MFA_SESSION_MS;
}

function acceptedModules(event: LoginFlowEvent): MfaModuleChoice[] {
  return event.type === 'CREDENTIALS_ACCEPTED' ? event.mfaModules : [];
}

export const loginFlowMachine = setup({
  types: {
    input: {} as LoginFlowInput,
    context: {} as LoginFlowContext,
    events: {} as LoginFlowEvent,
  },
  guards: {
    skipsMfa: ({ context, event }) => context.credentialOnly || acceptedModules(event).length === 0,
    hasOneMfaModule: ({ event }) => acceptedModules(event).length === 1,
    isKnownModule: ({ context, event }) =>
      event.type === 'SELECT_MFA_MODULE' && context.mfaModules.some((m) => m.id === event.moduleId),
    isPastMfaWindow: ({ context, event }) => isPastMfaWindow(context, event.now),
    isValidCode: ({ event }) => event.type === 'MFA_CODE' && event.valid,
    exhaustsRetries: ({ context }) => {
      const module = context.mfaModules.find((m) => m.id === context.mfaModuleId);
      const max = module?.maxRetries ?? 0;
      return max > 0 && context.invalidMfaCodes + 1 >= max;
    },
  },
  actions: {
    recordCredential: assign(({ event }) => {
      if (event.type !== 'CREDENTIALS_ACCEPTED') return {};
      return { credential: event.credential, userId: event.userId, mfaModules: event.mfaModules, error: null };
    }),
    chooseOnlyModule: assign(({ event }) => ({ mfaModuleId: acceptedModules(event)[0]?.id ?? null })),
    chooseModule: assign(({ event }) => ({
      mfaModuleId: event.type === 'SELECT_MFA_MODULE' ? event.moduleId : null,
      error: null,
    })),
    rejectCredentials: assign({ error: 'invalid_auth' as const }),
    rejectModule: assign({ error: 'invalid_auth_module' as const }),
    rejectCode: assign(({ context }) => ({
      error: 'invalid_code' as const,
      invalidMfaCodes: context.invalidMfaCodes + 1,
    })),
    clearError: assign({ error: null }),
    abortWith: assign(({ event }) => ({ abortReason: event.type === 'ABORT' ? event.reason : null })),
    abortExpired: assign({ abortReason: 'login_expired' as const }),
    abortRetries: assign(({ context }) => ({
      abortReason: 'too_many_retry' as const,
      invalidMfaCodes: context.invalidMfaCodes + 1,
    })),
  },
}).createMachine({
  id: 'loginFlow',
  // Each field named, no spread: see machines/refresh-token.ts's context.
  context: ({ input }) => ({
    flowId: input.flowId,
    handler: input.handler,
    clientId: input.clientId,
    redirectUri: input.redirectUri,
    ipAddress: input.ipAddress,
    credentialOnly: input.credentialOnly,
    createdAt: input.createdAt,
    codeChallenge: input.codeChallenge,
    userChoices: input.userChoices,
    error: null,
    credential: null,
    userId: null,
    mfaModules: [],
    mfaModuleId: null,
    invalidMfaCodes: 0,
    abortReason: null,
  }),
  initial: 'credentials',
  // ABORT is declared on each step rather than on the root: `transition()` on a restored `done` or
  // `aborted` snapshot still selects root handlers, which would turn a finished flow into `aborted`.
  states: {
    credentials: {
      on: {
        ABORT: { target: 'aborted', actions: 'abortWith' },
        CREDENTIALS_ACCEPTED: [
          { guard: 'skipsMfa', target: 'done', actions: 'recordCredential' },
          { guard: 'hasOneMfaModule', target: 'mfa', actions: ['recordCredential', 'chooseOnlyModule'] },
          { target: 'mfa_select', actions: 'recordCredential' },
        ],
        CREDENTIALS_REJECTED: { actions: 'rejectCredentials' },
      },
    },
    mfa_select: {
      on: {
        ABORT: { target: 'aborted', actions: 'abortWith' },
        SELECT_MFA_MODULE: [
          { guard: 'isKnownModule', target: 'mfa', actions: 'chooseModule' },
          { actions: 'rejectModule' },
        ],
      },
    },
    mfa: {
      on: {
        ABORT: { target: 'aborted', actions: 'abortWith' },
        MFA_CODE: [
          { guard: 'isPastMfaWindow', target: 'aborted', actions: 'abortExpired' },
          { guard: 'isValidCode', target: 'done', actions: 'clearError' },
          { guard: 'exhaustsRetries', target: 'aborted', actions: 'abortRetries' },
          { actions: 'rejectCode' },
        ],
      },
    },
    done: { type: 'final' },
    aborted: { type: 'final' },
  },
});
