/**
 * Bearer authentication for protected views (homeassistant/components/http/auth.py): the
 * `Authorization` header is split once on the first space, the scheme must be exactly `Bearer`, and
 * the token must validate (ha-auth-spec §13.2). Failure is aiohttp's `HTTPUnauthorized`:
 * 401, `text/plain`, `401: Unauthorized`.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AccessTokenService, Authenticated } from '../services/access-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    hassAuth: Authenticated | null;
  }
}

function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== 'Bearer') return null;
  return header.slice(space + 1);
}

export function replyUnauthorized(reply: FastifyReply) {
  return reply.code(401).type('text/plain; charset=utf-8').send('401: Unauthorized');
}

export function requireAuth(accessTokens: AccessTokenService): preHandlerAsyncHookHandler {
  return async function requireBearer(request: FastifyRequest, reply: FastifyReply) {
    const token = bearerToken(request.headers.authorization);
    request.hassAuth = token === null ? null : await accessTokens.authenticate(token);
    if (request.hassAuth === null) return replyUnauthorized(reply);
  };
}
