/**
 * Every login attempt over HTTP, counted and logged once it has an outcome (domain/login-outcomes.ts):
 *
 *   hass_auth_login_attempts_total{outcome}        (observability/metrics.ts)
 *   {"level":30,"reqId":"req-7","outcome":"invalid_code","user":"alice","ip":"192.0.2.4","msg":"login failed"}
 *
 * The flow views note what their service answered (`noteLoginStep`, with the login the step
 * concerned: the username typed, or the one the flow's credentials proved); what answers before or
 * around them (a ban, a full bcrypt queue, a store that cannot answer, a body that is not JSON) is
 * read from the status. The line never holds a password or a code: only the outcome, the login, the
 * address and, from the request logger, the request id.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LoginOutcome } from '../domain/login-outcomes.js';
import type { FlowOutcome } from '../services/login/login-flows.js';
import { refusedAsBanned } from './ip-bans.js';

const LOGIN_FLOW_ROUTES = new Set(['/auth/login_flow', '/auth/login_flow/:flowId']);
const FORM_ERRORS = new Set<LoginOutcome>(['invalid_auth', 'invalid_code', 'invalid_auth_module']);
const ABORT_REASONS = new Set<LoginOutcome>(['login_expired', 'too_many_retry', 'not_allowed', 'unknown_error']);
/** A typed username is the client's text: a line keeps this much of it. */
const MAX_LOGGED_LOGIN = 64;

interface Note {
  /** null: a step on the way (a form to fill), no outcome yet. */
  outcome: LoginOutcome | null;
  login: string | null;
}

const notes = new WeakMap<FastifyRequest, Note>();

/** What a flow view's answer means for the attempt. */
export function outcomeOfFlow(outcome: FlowOutcome): LoginOutcome | null {
  if (outcome.kind !== 'result') return outcome.kind;
  const { result } = outcome;
  if (result.type === 'create_entry') return 'success';
  if (result.type === 'abort') return ABORT_REASONS.has(result.reason as LoginOutcome) ? (result.reason as LoginOutcome) : 'error';
  const base = result.errors?.base as LoginOutcome | undefined;
  return base !== undefined && FORM_ERRORS.has(base) ? base : null;
}

/** Called by the flow views with what they answered (an outcome, or null for a step on the way). */
export function noteLoginStep(request: FastifyRequest, outcome: LoginOutcome | null, login: string | null = null): void {
  notes.set(request, { outcome, login });
}

function outcomeOfStatus(request: FastifyRequest, status: number): LoginOutcome {
  if (refusedAsBanned(request)) return 'banned';
  if (status === 429) return 'throttled';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'error' : 'malformed_request';
}

/** The login of an attempt the views did not note: the username of its body, if it had one. */
function typedLogin(request: FastifyRequest): string | null {
  const body = request.body as { username?: unknown } | null | undefined;
  return typeof body?.username === 'string' ? body.username : null;
}

/** Adds the hook; call it before the routes are registered, so that it applies to the flow views. */
export function reportLoginOutcomes(app: FastifyInstance, count: (outcome: LoginOutcome) => void): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'POST' || !LOGIN_FLOW_ROUTES.has(request.routeOptions.url ?? '')) return;
    const note = notes.get(request);
    const outcome = note === undefined ? outcomeOfStatus(request, reply.statusCode) : note.outcome;
    if (outcome === null) return;
    count(outcome);
    const login = note?.login ?? typedLogin(request);
    const user = login === null ? null : login.slice(0, MAX_LOGGED_LOGIN);
    request.log.info({ outcome, user, ip: request.ip }, outcome === 'success' ? 'login succeeded' : 'login failed');
  });
}
