/**
 * `hass_auth_token_requests_total{grant_type, outcome}`: every answer of `POST /auth/token`, counted
 * from the HTTP layer so that the token route and its services know nothing of metrics.
 *
 *   grant_type  authorization_code | refresh_token | other (anything else, none, `action=revoke`)
 *   outcome     issued (200) | revoked (200 to `action=revoke`) | the OAuth `error` of the body
 *               (RFC 6749 §5.2, e.g. invalid_grant) | status_<code> (a 503 while the store is down)
 *
 * Both labels come from fixed sets, so a client cannot grow the number of series.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.js';

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);

/** RFC 6749 §5.2's codes, and §4.1.2.1's access_denied, which Home Assistant answers with 403. */
const OAUTH_ERRORS = new Set([
  'invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type',
  'invalid_scope', 'access_denied',
]);

const isTokenRequest = (request: FastifyRequest) => request.method === 'POST' && request.routeOptions.url === '/auth/token';

function fields(request: FastifyRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {};
}

function grantTypeOf(request: FastifyRequest): string {
  const grantType = fields(request).grant_type;
  return typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other';
}

/** The `error` of a JSON error body, when it is one of the known codes. */
function oauthError(payload: string): string | null {
  try {
    const error = (JSON.parse(payload) as { error?: unknown }).error;
    return typeof error === 'string' && OAUTH_ERRORS.has(error) ? error : null;
  } catch {
    return null;
  }
}

/** Adds the hooks; call it before the routes are registered, so that they apply to the token route. */
export function countTokenRequests(app: FastifyInstance, metrics: Metrics): void {
  const errors = new WeakMap<FastifyRequest, string>();
  // The body is read where it is still at hand (serialized, before it is sent), and only for errors.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode !== 200 && typeof payload === 'string' && isTokenRequest(request)) {
      const error = oauthError(payload);
      if (error !== null) errors.set(request, error);
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!isTokenRequest(request)) return;
    const status = reply.statusCode;
    const outcome =
      status === 200
        ? fields(request).action === 'revoke' ? 'revoked' : 'issued'
        : errors.get(request) ?? `status_${status}`;
    metrics.tokenRequests.inc({ grant_type: grantTypeOf(request), outcome });
  });
}
