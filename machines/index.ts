/**
 * The persisted lifecycles, by the name their records carry in the store envelope.
 * `version` is the shape of a machine's persisted snapshot: change the states or the context in a
 * way old snapshots cannot follow, bump it, and add a migration in src/stores/envelope.ts.
 */
import { LOGIN_FLOW_VERSION, loginFlowMachine } from './login-flow.js';
import { LOGIN_GRANT_VERSION, loginGrantMachine } from './login-grant.js';
import { MFA_SETUP_FLOW_VERSION, mfaSetupFlowMachine } from './mfa-setup-flow.js';
import { REFRESH_TOKEN_VERSION, refreshTokenMachine } from './refresh-token.js';

export const machines = {
  loginGrant: { machine: loginGrantMachine, version: LOGIN_GRANT_VERSION },
  refreshToken: { machine: refreshTokenMachine, version: REFRESH_TOKEN_VERSION },
  loginFlow: { machine: loginFlowMachine, version: LOGIN_FLOW_VERSION },
  mfaSetupFlow: { machine: mfaSetupFlowMachine, version: MFA_SETUP_FLOW_VERSION },
} as const;

export type MachineName = keyof typeof machines;
export type MachineOf<N extends MachineName> = (typeof machines)[N]['machine'];
