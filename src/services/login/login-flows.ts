/**
 * Login flows (`POST /auth/login_flow…`; homeassistant/components/auth/login_flow.py and the flow
 * manager of homeassistant/auth/__init__.py). Each flow is a login-flow machine record, so any
 * instance can continue a flow another started. Home Assistant keeps flows in memory without a
 * lifetime; here an abandoned flow disappears with its TTL.
 *
 * A step runs the provider's check (bcrypt for `homeassistant`), turns the verdict into a machine
 * event, and only the request whose write finished the flow issues the code: a second, racing
 * submission sees a finished flow, which is an unknown flow (404) as in Home Assistant. A check the
 * full bcrypt queue refuses (PasswordChecksBusyError) throws before the record is written, so the
 * same step can be sent again.
 *
 * After correct credentials of an existing credential whose user has MFA modules enabled, the flow
 * asks which module (`select_mfa_module`, only with two or more) and then for a code (`mfa`):
 * login-flow-mfa.ts. An aborted flow (`login_expired`, `too_many_retry`) is removed, as in Home Assistant.
 *
 * What the `init` step shows and accepts is the provider's: a username and a password
 * (homeassistant-login.ts), or a choice of user (trusted-networks.ts), which may also end the flow
 * at its start: refused (abort `not_allowed`, nothing stored) or finished at once (`allow_bypass_login`:
 * `POST /auth/login_flow` answers with the code, through the same machine and completion as a step).
 *
 * Beyond Home Assistant, starting a flow needs no credentials, so what it stores is bounded: a
 * client (an IPv4 address, an IPv6 /64: domain/client-block.ts) has at most `maxOpenPerClient` flows
 * open at once, across instances (`too_many_flows` beyond, until one ends or expires), and a flow's
 * audit entries live no longer than the flow unless its credentials are judged (login-flow-audit.ts).
 */
import type { LoginCredential } from '../../../machines/credential.js';
import type { FlowAbortReason, LoginFlowContext, LoginFlowEvent, LoginFlowInput } from '../../../machines/login-flow.js';
import type { Clock } from '../../domain/clock.js';
import { newId } from '../../domain/ids.js';
import { redirectUriAllowedWithoutDiscovery, verifyClientId } from '../../domain/indieauth.js';
import type { Logger } from '../../domain/logger.js';
import { clientBlock } from '../../domain/client-block.js';
import { parseIp } from '../../domain/network.js';
import type { Store } from '../../stores/types.js';
import { abortResult, createEntryResult, formResult, type FlowResult, type Handler, type SchemaField } from './flow-results.js';
import { loginMfa } from './login-flow-mfa.js';
import type { LoginGrantService } from './authorization-codes.js';
import type { MfaService } from '../mfa/mfa-modules.js';
import { flowAuditTrail } from './login-flow-audit.js';
import { actorHandle } from '../../runtime/actor-handle.js';
import type { TransitionObserver } from '../../runtime/observers.js';
import type { RedirectDiscovery } from './redirect-discovery.js';
import type { UserService } from '../users/users.js';

/** Abandoned flows are collected after this; a user may sit on the login page for a while. */
export const LOGIN_FLOW_TTL_MS = 60 * 60 * 1000;

/** How a flow begins (`async_step_init` without input): a form, or an end before anything is stored. */
export type FlowBeginning =
  | { kind: 'form'; userChoices: LoginFlowInput['userChoices'] }
  | { kind: 'abort'; reason: FlowAbortReason }
  | { kind: 'finish'; credential: LoginCredential };

/** The provider's verdict on the `init` step's input. */
export type InitVerdict =
  | { kind: 'malformed' }
  | { kind: 'rejected' }
  | { kind: 'abort'; reason: FlowAbortReason }
  | { kind: 'accepted'; credential: LoginCredential };

/** An auth provider as the login flow uses it (homeassistant/auth/providers/__init__.py). */
export interface LoginProvider {
  type: string;
  id: string | null;
  name: string;
  /** `support_mfa`: whether a login of this provider asks for the user's MFA modules. */
  supportsMfa: boolean;
  /** Whether `GET /auth/providers` lists the provider to a client at `ip` (a normalized IP address). */
  isOfferedTo(ip: string): boolean;
  /** The start of a flow from `ip` (a normalized IP address). */
  begin(ip: string): Promise<FlowBeginning>;
  /** The `init` form of a flow: its fields, and `errors` as the provider shows them. */
  initForm(flow: LoginFlowContext): { fields: SchemaField[]; errors: Record<string, string> | null };
  /** Checks the `init` input (its schema first, as the flow manager does, then the provider's step). */
  submit(flow: LoginFlowContext, input: Record<string, unknown>): Promise<InitVerdict>;
  /**
   * `async_validate_refresh_token`: why a token of this provider's login may not be used from `ip`
   * (null: no request address), or null when it may.
   */
  refreshRefusal(ip: string | null): string | null;
}

export type FlowOutcome =
  | { kind: 'result'; result: FlowResult }
  | { kind: 'too_many_flows'; retryAfterSeconds: number }
  | { kind: 'invalid_client_id' | 'unknown_handler' | 'unknown_flow' | 'ip_changed' | 'malformed_input' | 'invalid_redirect_uri' }
  | { kind: 'login_blocked'; reason: string };

/** A step's outcome, with whom it concerned for the login log line (http/login-outcome.ts). */
export type StepOutcome = FlowOutcome & { login: string | null };

/** The login a step concerns: the one its credentials proved, else the username typed (never checked, never a secret). */
function loginOf(flow: LoginFlowContext | undefined, input: Record<string, unknown>): string | null {
  if (flow !== undefined && flow.credential !== null) return flow.credential.lookupKey;
  return typeof input.username === 'string' ? input.username : null;
}

type TooManyFlows = Extract<FlowOutcome, { kind: 'too_many_flows' }>;

export interface StartRequest {
  clientId: string;
  handler: Handler;
  redirectUri: string;
  type: string;
  ip: string;
  /** The PKCE challenge (S256) to bind the code to, or null. */
  codeChallenge: string | null;
}

/** Whether a login link can end anywhere: its client_id is one, and its redirect_uri is that client's. */
export type LoginLinkVerdict = 'ok' | 'invalid_client_id' | 'invalid_redirect_uri';

export interface LoginFlowService {
  /** The providers `GET /auth/providers` lists to a client at `ip`, in configuration order. */
  providersFor(ip: string): LoginProvider[];
  /**
   * The checks a flow's completion makes on its client_id and redirect_uri, for the login page to
   * make before it asks for a password (the flow itself keeps Home Assistant's order: a 403 at the end).
   */
  checkLoginLink(clientId: string, redirectUri: string): Promise<LoginLinkVerdict>;
  start(request: StartRequest): Promise<FlowOutcome>;
  step(flowId: string, clientId: string, input: Record<string, unknown>, ip: string): Promise<StepOutcome>;
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
  /** IndieAuth discovery: the redirect URIs the client_id page lists (services/login/redirect-discovery.ts). */
  discoverRedirectUris: RedirectDiscovery;
  /** The most flows one client may have open at once (auth-config.ts `login_flows`). */
  maxOpenPerClient: number;
  observers?: readonly TransitionObserver[];
}

const sameIp = (a: string, b: string) => (parseIp(a) ?? a) === (parseIp(b) ?? b);

export function loginFlowService(deps: Deps): LoginFlowService {
  const { store, clock, logger, providers, users, grants, mfa, discoverRedirectUris } = deps;
  const providerOf = (handler: Handler) => providers.find((p) => p.type === handler[0] && p.id === handler[1]);
  const mfaSteps = loginMfa(mfa);
  const flows = actorHandle('loginFlow', store.flows, { logger, audit: store.audit, observers: deps.observers ?? [] });
  /** Where a flow's entries go: held until its credentials are judged (login-flow-audit.ts). */
  const trailOf = (flow: Pick<LoginFlowContext, 'createdAt'>) => ({ audit: flowAuditTrail(store.audit, flow.createdAt + LOGIN_FLOW_TTL_MS) });

  /** `verify_redirect_uri` (ha-auth-spec §4.2): same origin or a companion app, else what the client_id page lists. */
  const redirectUriAllowed = async (clientId: string, redirectUri: string) =>
    redirectUriAllowedWithoutDiscovery(clientId, redirectUri) ||
    (verifyClientId(clientId) && (await discoverRedirectUris(clientId)).includes(redirectUri));

  const initForm = (flow: LoginFlowContext, provider: LoginProvider): FlowResult => {
    const { fields, errors } = provider.initForm(flow);
    return formResult(flow.flowId, flow.handler, { stepId: 'init', dataSchema: fields, errors });
  };

  /** Completion (`_async_flow_result_to_response`): the redirect check, the user check, then the code. */
  async function finish(flow: LoginFlowContext, clientId: string, ip: string): Promise<FlowOutcome> {
    await store.flows.delete(flow.flowId);
    const credential = flow.credential;
    if (credential === null) throw new Error(`flow ${flow.flowId} finished without a credential`);
    if (!(await redirectUriAllowed(clientId, flow.redirectUri))) return { kind: 'invalid_redirect_uri' };
    const user = await users.userOf(credential);
    const reason = user === null ? null : users.notAllowedReason(user, ip);
    if (reason !== null) return { kind: 'login_blocked', reason };
    const code = await grants.issue(clientId, credential, flow.codeChallenge);
    return { kind: 'result', result: createEntryResult(flow.flowId, flow.handler, code) };
  }

  async function accepted(provider: LoginProvider, credential: LoginCredential): Promise<LoginFlowEvent> {
    const userId = (await users.userOf(credential))?.id ?? null;
    const mfaModules = await mfaSteps.choicesFor(userId, provider.supportsMfa);
    return { type: 'CREDENTIALS_ACCEPTED', now: clock(), credential, userId, mfaModules };
  }

  async function submitCredentials(flow: LoginFlowContext, provider: LoginProvider, input: Record<string, unknown>) {
    const verdict = await provider.submit(flow, input);
    switch (verdict.kind) {
      case 'malformed':
        return null;
      case 'rejected':
        return { type: 'CREDENTIALS_REJECTED', now: clock() } as const;
      case 'abort':
        return { type: 'ABORT', now: clock(), reason: verdict.reason } as const;
      case 'accepted':
        return accepted(provider, verdict.credential);
    }
  }

  /** The event a submission is at the flow's current step; null when the input fails the step's schema. */
  function eventFor(state: unknown, flow: LoginFlowContext, provider: LoginProvider, input: Record<string, unknown>) {
    if (state === 'mfa_select') return Promise.resolve(mfaSteps.selectEvent(flow, input, clock()));
    if (state === 'mfa') return mfaSteps.codeEvent(flow, input, clock());
    return submitCredentials(flow, provider, input);
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
    return { kind: 'result' as const, result: initForm(flow, provider) };
  }

  /** Stores a new flow unless its client has as many open as it may already; its creation is audited, held. */
  async function openFlow(input: LoginFlowInput): Promise<{ flow: LoginFlowContext } | TooManyFlows> {
    const { snapshot, envelope } = flows.initial(input);
    const client = { key: clientBlock(input.ipAddress), limit: deps.maxOpenPerClient };
    const opening = await store.flows.openFor(input.flowId, envelope, LOGIN_FLOW_TTL_MS, client);
    if (opening.opened) {
      flows.created(input.flowId, snapshot, input.createdAt, trailOf(input).audit);
      return { flow: snapshot.context };
    }
    if (opening.reason === 'taken') throw new Error(`flow id ${input.flowId} is taken`);
    return { kind: 'too_many_flows', retryAfterSeconds: Math.ceil(opening.retryAfterMs / 1000) };
  }

  /** `allow_bypass_login`: the flow is stored and finished at once, so that the machine still decides what follows. */
  async function finishAtStart(input: LoginFlowInput, provider: LoginProvider, credential: LoginCredential, ip: string) {
    const opened = await openFlow(input);
    if ('kind' in opened) return opened;
    const result = await flows.transition(input.flowId, await accepted(provider, credential), trailOf(input));
    if (result === null) return { kind: 'unknown_flow' as const };
    return outcomeOf(result.after.value, result.after.context, provider, input.clientId, ip);
  }

  return {
    providersFor: (ip) => providers.filter((provider) => provider.isOfferedTo(ip)),

    async checkLoginLink(clientId, redirectUri) {
      if (!verifyClientId(clientId)) return 'invalid_client_id';
      return (await redirectUriAllowed(clientId, redirectUri)) ? 'ok' : 'invalid_redirect_uri';
    },

    async start(request) {
      if (!verifyClientId(request.clientId)) return { kind: 'invalid_client_id' };
      const provider = providerOf(request.handler);
      if (provider === undefined) return { kind: 'unknown_handler' };
      const ipAddress = parseIp(request.ip) ?? request.ip;
      const beginning = await provider.begin(ipAddress);
      // A flow that ends at its start is never stored, as Home Assistant drops a finished flow.
      if (beginning.kind === 'abort') return { kind: 'result', result: abortResult(newId(), request.handler, beginning.reason) };
      const input: LoginFlowInput = {
        // Opened with its client's other flows in one write: in their place (Store.placement).
        flowId: store.placement.near(clientBlock(ipAddress), newId),
        handler: request.handler,
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        ipAddress,
        credentialOnly: request.type === 'link_user',
        createdAt: clock(),
        codeChallenge: request.codeChallenge,
        userChoices: beginning.kind === 'form' ? beginning.userChoices : null,
      };
      if (beginning.kind === 'finish') return finishAtStart(input, provider, beginning.credential, request.ip);
      const opened = await openFlow(input);
      return 'kind' in opened ? opened : { kind: 'result', result: initForm(opened.flow, provider) };
    },

    async step(flowId, clientId, input, ip) {
      if (!verifyClientId(clientId)) return { kind: 'invalid_client_id', login: loginOf(undefined, input) };
      const record = await flows.load(flowId);
      if (record === null || record.snapshot.status === 'done') return { kind: 'unknown_flow', login: loginOf(undefined, input) };
      const flow = record.snapshot.context;
      const login = loginOf(flow, input);
      if (!sameIp(flow.ipAddress, ip)) return { kind: 'ip_changed', login };
      const provider = providerOf(flow.handler);
      if (provider === undefined) return { kind: 'unknown_flow', login };
      const event = await eventFor(record.snapshot.value, flow, provider, input);
      if (event === null) return { kind: 'malformed_input', login };
      const result = await flows.transition(flowId, event, { ...trailOf(flow), loaded: record });
      if (result === null || result.before.status === 'done') return { kind: 'unknown_flow', login };
      const outcome = await outcomeOf(result.after.value, result.after.context, provider, clientId, ip);
      return { ...outcome, login: loginOf(result.after.context, input) };
    },

    async abort(flowId) {
      const record = await flows.load(flowId);
      if (record === null) return false;
      const abort = { type: 'ABORT', now: clock(), reason: 'user_abort' } as const;
      const result = await flows.transition(flowId, abort, { ...trailOf(record.snapshot.context), loaded: record });
      if (result === null || result.before.status === 'done') return false;
      await store.flows.delete(flowId);
      return true;
    },
  };
}
