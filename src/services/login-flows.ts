/**
 * Login flows (`POST /auth/login_flow…`; homeassistant/components/auth/login_flow.py and the flow
 * manager of homeassistant/auth/__init__.py). Each flow is a login-flow machine record, so any
 * instance can continue a flow another started. Home Assistant keeps flows in memory without a
 * lifetime; here an abandoned flow disappears with its TTL.
 *
 * A step runs the provider's check (bcrypt for `homeassistant`), turns the verdict into a machine
 * event, and only the request whose write finished the flow issues the code: a second, racing
 * submission sees a finished flow, which is an unknown flow (404) as in Home Assistant.
 *
 * After correct credentials of an existing credential whose user has MFA modules enabled, the flow
 * asks which module (`select_mfa_module`, only with two or more) and then for a code (`mfa`):
 * login-flow-mfa.ts. An aborted flow (`login_expired`, `too_many_retry`) is removed, as in Home Assistant.
 */
import type { LoginCredential } from '../../machines/credential.js';
import type { LoginFlowContext, LoginFlowEvent } from '../../machines/login-flow.js';
import type { Clock } from '../domain/clock.js';
import { newId } from '../domain/ids.js';
import { redirectUriAllowedWithoutDiscovery, verifyClientId } from '../domain/indieauth.js';
import type { Logger } from '../domain/logger.js';
import { parseIp } from '../domain/network.js';
import { validate, type Schema } from '../domain/voluptuous.js';
import type { Store } from '../stores/types.js';
import { abortResult, createEntryResult, formResult, type FlowResult, type Handler, type SchemaField } from './flow-results.js';
import { loginMfa } from './login-flow-mfa.js';
import type { LoginGrantService } from './login-grants.js';
import type { MfaService } from './mfa.js';
import { createRecord, loadRecord, transitionRecord } from './persisted-actor.js';
import type { UserService } from './users.js';

/** Abandoned flows are collected after this; a user may sit on the login page for a while. */
export const LOGIN_FLOW_TTL_MS = 60 * 60 * 1000;

/** An auth provider as the login flow uses it (homeassistant/auth/providers/__init__.py). */
export interface LoginProvider {
  type: string;
  id: string | null;
  name: string;
  /** The `init` step's fields, serialized and as a validation schema. */
  initForm: { fields: SchemaField[]; schema: Schema };
  /** The credential that the `init` input proves, or null (`invalid_auth`). */
  checkCredentials(input: Record<string, unknown>): Promise<LoginCredential | null>;
  /** `support_mfa`: whether a login of this provider asks for the user's MFA modules. */
  supportsMfa: boolean;
}

export type FlowOutcome =
  | { kind: 'result'; result: FlowResult }
  | { kind: 'invalid_client_id' | 'unknown_handler' | 'unknown_flow' | 'ip_changed' | 'malformed_input' | 'invalid_redirect_uri' }
  | { kind: 'login_blocked'; reason: string };

export interface StartRequest {
  clientId: string;
  handler: Handler;
  redirectUri: string;
  type: string;
  ip: string;
}

export interface LoginFlowService {
  providers(): LoginProvider[];
  start(request: StartRequest): Promise<FlowOutcome>;
  step(flowId: string, clientId: string, input: Record<string, unknown>, ip: string): Promise<FlowOutcome>;
  /** False when there is no such open flow. */
  abort(flowId: string): Promise<boolean>;
}

interface Deps {
  store: Store;
  clock: Clock;
  logger: Logger;
  providers: LoginProvider[];
  users: UserService;
  grants: LoginGrantService;
  mfa: MfaService;
}

const sameIp = (a: string, b: string) => (parseIp(a) ?? a) === (parseIp(b) ?? b);

export function loginFlowService({ store, clock, logger, providers, users, grants, mfa }: Deps): LoginFlowService {
  const providerOf = (handler: Handler) => providers.find((p) => p.type === handler[0] && p.id === handler[1]);
  const options = { logger };
  const mfaSteps = loginMfa(mfa);

  const initForm = (flow: LoginFlowContext, provider: LoginProvider, errors: Record<string, string>): FlowResult =>
    formResult(flow.flowId, flow.handler, { stepId: 'init', dataSchema: provider.initForm.fields, errors });

  /** Completion (`_async_flow_result_to_response`): the redirect check, the user check, then the code. */
  async function finish(flow: LoginFlowContext, clientId: string, ip: string): Promise<FlowOutcome> {
    await store.flows.delete(flow.flowId);
    const credential = flow.credential;
    if (credential === null) throw new Error(`flow ${flow.flowId} finished without a credential`);
    if (!redirectUriAllowedWithoutDiscovery(clientId, flow.redirectUri)) return { kind: 'invalid_redirect_uri' };
    const user = await users.userOf(credential);
    const reason = user === null ? null : users.notAllowedReason(user, ip);
    if (reason !== null) return { kind: 'login_blocked', reason };
    const code = await grants.issue(clientId, credential);
    return { kind: 'result', result: createEntryResult(flow.flowId, flow.handler, code) };
  }

  async function submitCredentials(provider: LoginProvider, input: Record<string, unknown>): Promise<LoginFlowEvent | null> {
    if (!validate(provider.initForm.schema, input).ok) return null;
    const credential = await provider.checkCredentials(input);
    if (credential === null) return { type: 'CREDENTIALS_REJECTED', now: clock() };
    const userId = (await users.userOf(credential))?.id ?? null;
    const mfaModules = await mfaSteps.choicesFor(userId, provider.supportsMfa);
    return { type: 'CREDENTIALS_ACCEPTED', now: clock(), credential, userId, mfaModules };
  }

  /** The event a submission is at the flow's current step; null when the input fails the step's schema. */
  function eventFor(state: unknown, flow: LoginFlowContext, provider: LoginProvider, input: Record<string, unknown>) {
    if (state === 'mfa_select') return Promise.resolve(mfaSteps.selectEvent(flow, input, clock()));
    if (state === 'mfa') return mfaSteps.codeEvent(flow, input, clock());
    return submitCredentials(provider, input);
  }

  /** What the flow shows after a step: the next form, the end of the flow, or the code. */
  async function outcomeOf(state: unknown, flow: LoginFlowContext, provider: LoginProvider, clientId: string, ip: string) {
    if (state === 'done') return finish(flow, clientId, ip);
    if (state === 'aborted') {
      await store.flows.delete(flow.flowId);
      return { kind: 'result' as const, result: abortResult(flow.flowId, flow.handler, flow.abortReason ?? 'unknown_error') };
    }
    if (state === 'mfa_select') return { kind: 'result' as const, result: mfaSteps.selectForm(flow) };
    if (state === 'mfa') return { kind: 'result' as const, result: mfaSteps.codeForm(flow) };
    const errors: Record<string, string> = flow.error === null ? {} : { base: flow.error };
    return { kind: 'result' as const, result: initForm(flow, provider, errors) };
  }

  return {
    providers: () => providers,

    async start(request) {
      if (!verifyClientId(request.clientId)) return { kind: 'invalid_client_id' };
      const provider = providerOf(request.handler);
      if (provider === undefined) return { kind: 'unknown_handler' };
      const input = {
        flowId: newId(),
        handler: request.handler,
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        ipAddress: parseIp(request.ip) ?? request.ip,
        credentialOnly: request.type === 'link_user',
        createdAt: clock(),
      };
      const { snapshot } = await createRecord(store.flows, 'loginFlow', input.flowId, input, LOGIN_FLOW_TTL_MS);
      return { kind: 'result', result: initForm(snapshot.context, provider, {}) };
    },

    async step(flowId, clientId, input, ip) {
      if (!verifyClientId(clientId)) return { kind: 'invalid_client_id' };
      const record = await loadRecord(store.flows, 'loginFlow', flowId, logger);
      if (record === null || record.snapshot.status === 'done') return { kind: 'unknown_flow' };
      const flow = record.snapshot.context;
      if (!sameIp(flow.ipAddress, ip)) return { kind: 'ip_changed' };
      const provider = providerOf(flow.handler);
      if (provider === undefined) return { kind: 'unknown_flow' };
      const event = await eventFor(record.snapshot.value, flow, provider, input);
      if (event === null) return { kind: 'malformed_input' };
      const result = await transitionRecord(store.flows, 'loginFlow', flowId, event, options);
      if (result === null || result.before.status === 'done') return { kind: 'unknown_flow' };
      return outcomeOf(result.after.value, result.after.context, provider, clientId, ip);
    },

    async abort(flowId) {
      const result = await transitionRecord(store.flows, 'loginFlow', flowId, { type: 'ABORT', now: clock(), reason: 'user_abort' }, options);
      if (result === null || result.before.status === 'done') return false;
      await store.flows.delete(flowId);
      return true;
    },
  };
}
