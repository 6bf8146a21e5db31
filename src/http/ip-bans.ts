/**
 * IP bans and failed-login accounting over HTTP (homeassistant/components/http/ban.py and
 * `@log_invalid_auth`, ha-auth-spec §0 and §11), as hooks, so that no route knows about them.
 *
 *   any request from a banned address → 403 `403: Forbidden` (text/plain), before anything else
 *   (CORS preflights, unknown paths and the WebSocket upgrade included). The check looks the address
 *   up in this instance's copy of the ban list (services/bans/ban-copy.ts), which costs no store round
 *   trip; bench/ip-ban-check.ts measures it.
 *
 * What counts as one failed login of `request.ip` (the client after trusted proxies):
 *   - a 401 from any view (the ban middleware catches `HTTPUnauthorized`), when bans are on;
 *   - `POST /auth/token` answered 400 or 403 (every OAuth error);
 *   - `POST /auth/login_flow` and `POST /auth/login_flow/{flow_id}` answered 400/403/404 by the view,
 *     not by the body validator, which runs outside `@log_invalid_auth` in Home Assistant (json-body.ts);
 *   - a login-flow `form` whose `errors.base` is `invalid_auth` or `invalid_code` (a 200).
 * A login-flow `create_entry` is a success: the address' count is forgotten.
 * Answers of the error handler (5xx, a store that cannot be reached) and the ban's own 403 count for
 * nothing: in Home Assistant an exception never reaches `@log_invalid_auth`'s status check.
 *
 * Accounting runs in `onSend`, before the answer leaves: once a client has read the answer to its
 * failure, the failure is counted for every instance, and a ban it caused is in force here; the other
 * instances enforce it as soon as the store's message about it reaches them (Redis pub/sub).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LoginAttemptService } from '../services/bans/login-attempts.js';
import { StoreUnavailableError } from '../stores/types.js';
import { sendError } from './error-reply.js';
import { isValidatorAnswer } from './json-body.js';

const LOGIN_FLOW_ROUTE = /^\/auth\/login_flow(\/[^/]+)?$/;
const FAILED_STEP_ERRORS = new Set(['invalid_auth', 'invalid_code']);

type Verdict = 'failure' | 'success' | null;

/** Requests this hook answered with the ban's 403 (http/login-outcome.ts counts them as `banned`). */
const bannedRequests = new WeakSet<FastifyRequest>();

export function refusedAsBanned(request: FastifyRequest): boolean {
  return bannedRequests.has(request);
}

/** What makes Node hand a request to the `upgrade` listeners: `Connection: upgrade` and an `Upgrade` header. */
const isUpgrade = (request: FastifyRequest) =>
  request.headers.upgrade !== undefined && /(^|,)\s*upgrade\s*(,|$)/i.test(request.headers.connection ?? '');

/** A login-flow result body: a failed credential or code check, a completed login, or neither. */
function flowResultVerdict(payload: unknown): Verdict {
  if (typeof payload !== 'string') return null;
  let result: { type?: unknown; errors?: { base?: unknown } | null };
  try {
    result = JSON.parse(payload) as typeof result;
  } catch {
    return null;
  }
  if (result.type === 'create_entry') return 'success';
  const base = result.type === 'form' ? result.errors?.base : undefined;
  return typeof base === 'string' && FAILED_STEP_ERRORS.has(base) ? 'failure' : null;
}

function verdictOf(request: FastifyRequest, reply: FastifyReply, payload: unknown, countUnauthorized: boolean): Verdict {
  const status = reply.statusCode;
  const route = request.routeOptions.url;
  if (request.method === 'POST' && route === '/auth/token') return status >= 400 ? 'failure' : null;
  if (request.method === 'POST' && route !== undefined && LOGIN_FLOW_ROUTE.test(route)) {
    if (isValidatorAnswer(request)) return null;
    return status >= 400 ? 'failure' : status === 200 ? flowResultVerdict(payload) : null;
  }
  return status === 401 && countUnauthorized ? 'failure' : null;
}

/** Call it first in buildApp, before CORS and the routes, so that its hooks run first and apply to every route. */
export function ipBanHooks(app: FastifyInstance, attempts: LoginAttemptService): void {
  // Requests whose answer the verdicts must not see: refused as banned, or answered by the error handler.
  const notCounted = new WeakSet<FastifyRequest>();

  app.addHook('onClose', async () => attempts.stop());

  if (attempts.ipBanEnabled) {
    app.addHook('onRequest', async function refuseBannedAddress(request, reply) {
      let banned: boolean;
      try {
        banned = await attempts.isBanned(request.ip);
      } catch (error) {
        // Open while the store is down: every route that could let a guess through needs the store
        // and answers 503 itself; the rest (health, metadata, pages) gives an attacker nothing.
        if (error instanceof StoreUnavailableError) return;
        throw error;
      }
      if (!banned) return;
      notCounted.add(request);
      bannedRequests.add(request);
      // A WebSocket upgrade's socket is @fastify/websocket's to end after the answer, but its own
      // onRequest hook, which marks the request as one, runs after this one, so it would stay open.
      if (isUpgrade(request)) reply.raw.once('finish', () => request.raw.socket.destroy());
      return sendError(reply, 'forbidden');
    });
  }

  app.addHook('onError', async function answeredByErrorHandler(request) {
    notCounted.add(request);
  });

  app.addHook('onSend', async function countLoginAttempt(request, reply, payload) {
    if (reply.statusCode >= 500 || notCounted.has(request)) return payload;
    const verdict = verdictOf(request, reply, payload, attempts.ipBanEnabled);
    if (verdict === 'failure') {
      await attempts.recordFailure(request.ip, { url: request.url, userAgent: request.headers['user-agent'] ?? null });
    } else if (verdict === 'success') {
      await attempts.recordSuccess(request.ip);
    }
    return payload;
  });
}
