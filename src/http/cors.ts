/**
 * CORS as Home Assistant configures it (homeassistant/components/http/cors.py): the token and
 * revocation endpoints (`cors_allowed = True`) answer any origin; every other view only the configured
 * `cors_allowed_origins` (default `https://cast.home-assistant.io`). Allowed request headers are
 * Origin, Accept, X-Requested-With, Content-Type and Authorization; any method; no credentials.
 */
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const ANY_ORIGIN_PATHS = new Set(['/auth/token', '/auth/revoke']);
const ALLOWED_HEADERS = ['Origin', 'Accept', 'X-Requested-With', 'Content-Type', 'Authorization'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export async function allowCrossOrigin(app: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
  const anyOrigin: FastifyCorsOptions = { origin: '*', allowedHeaders: ALLOWED_HEADERS, methods: METHODS, credentials: false };
  const listedOrigins: FastifyCorsOptions = { ...anyOrigin, origin: [...allowedOrigins] };
  await app.register(cors, {
    // The callback form, with the two answers made once: a promise per request cost about a tenth
    // of a `GET /api/` (bench/RESULTS.md).
    delegator: (request: FastifyRequest, callback: (error: Error | null, options: FastifyCorsOptions) => void) => {
      const path = request.url;
      const query = path.indexOf('?');
      callback(null, ANY_ORIGIN_PATHS.has(query === -1 ? path : path.slice(0, query)) ? anyOrigin : listedOrigins);
    },
  });
}
