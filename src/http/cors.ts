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
  await app.register(cors, {
    delegator: async (request: FastifyRequest): Promise<FastifyCorsOptions> => {
      const anyOrigin = ANY_ORIGIN_PATHS.has(request.url.split('?')[0] ?? '');
      return { origin: anyOrigin ? '*' : [...allowedOrigins], allowedHeaders: ALLOWED_HEADERS, methods: METHODS, credentials: false };
    },
  });
}
