/**
 * The token `GET /metrics` asks for when `METRICS_TOKEN` is set: `Authorization: Bearer <token>`,
 * read as Home Assistant reads a bearer header (authenticate.ts) and compared in constant time on
 * SHA-256 digests, so that neither the time nor the length tells a guess how close it came. Anything
 * else is Home Assistant's `HTTPUnauthorized` (401, `401: Unauthorized`), which the ban hooks count as
 * a failed login like every 401 of a view (ip-bans.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { bearerToken } from './authenticate.js';
import { sendError } from './error-reply.js';

const digest = (text: string) => createHash('sha256').update(text).digest();

export function requireMetricsToken(token: string): preHandlerAsyncHookHandler {
  const expected = digest(token);
  return async function requireBearerToken(request: FastifyRequest, reply: FastifyReply) {
    const presented = bearerToken(request.headers.authorization);
    if (presented === null || !timingSafeEqual(digest(presented), expected)) return sendError(reply, 'unauthorized');
  };
}
