/**
 * CORS as Home Assistant configures it (homeassistant/components/http/cors.py): the token and
 * revocation endpoints (`cors_allowed = True`) answer any origin; every other view only the configured
 * `cors_allowed_origins` (default `https://cast.home-assistant.io`). Allowed request headers are
 * Origin, Accept, X-Requested-With, Content-Type and Authorization; any method; no credentials.
 *
 * The plugin is registered with the configured origins, which it prepares once; the two views that
 * answer any origin say so in their route config (`config.cors`, the plugin's per-route override),
 * their preflights too (anyOriginPreflights). A delegator choosing between the two per request had
 * the plugin prepare its options again on every request of every route.
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

const ALLOWED_HEADERS = ['Origin', 'Accept', 'X-Requested-With', 'Content-Type', 'Authorization'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The route config of a view Home Assistant marks `cors_allowed`: any origin may call it. */
export const ANY_ORIGIN = { cors: { origin: '*' } };

export async function allowCrossOrigin(app: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
  await app.register(cors, { origin: [...allowedOrigins], allowedHeaders: ALLOWED_HEADERS, methods: METHODS, credentials: false });
}

/**
 * The preflights of `paths` as any origin's: without a route of their own, an OPTIONS request to
 * them reaches the plugin's catch-all route, whose config is the configured origins'. The route only
 * carries the config: with an origin of '*', the plugin's hook answers every OPTIONS request itself
 * (204, or 400 to one that is not a preflight), so the handler answers what the catch-all answers
 * when the hook has not.
 */
export function anyOriginPreflights(app: FastifyInstance, paths: readonly string[]): void {
  for (const path of paths) app.options(path, { config: ANY_ORIGIN }, async (_request, reply) => reply.callNotFound());
}
