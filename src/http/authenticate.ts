/**
 * Authentication of protected views (homeassistant/components/http/auth.py, ha-auth-spec §13.2):
 * with an `Authorization` header, it is split once on the first space, the scheme must be exactly
 * `Bearer` and the token must validate — a bad header never falls through to a signature; without
 * one, a GET whose query carries `authSig` may be a signed path. Failure is aiohttp's
 * `HTTPUnauthorized`: 401, `text/plain`, `401: Unauthorized`.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { AccessTokenService, Authenticated } from '../services/tokens/access-tokens.js';
import { SIGN_QUERY_PARAM, type SignedPathService } from '../services/tokens/signed-paths.js';
import { sendError } from './error-reply.js';

declare module 'fastify' {
  interface FastifyRequest {
    hassAuth: Authenticated | null;
  }
}

/** The token of an `Authorization: Bearer <token>` header, split as Home Assistant splits it; null for any other header. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== 'Bearer') return null;
  return header.slice(space + 1);
}

export interface Authenticators {
  accessTokens: AccessTokenService;
  signedPaths: SignedPathService;
}

async function authenticate(request: FastifyRequest, { accessTokens, signedPaths }: Authenticators) {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const token = bearerToken(header);
    return token === null ? null : accessTokens.authenticate(token, request.ip);
  }
  const query = request.url.split('?')[1] ?? '';
  if (request.method === 'GET' && query.includes(SIGN_QUERY_PARAM)) return signedPaths.verify(request.url, request.ip);
  return null;
}

export function requireAuth(authenticators: Authenticators): preHandlerAsyncHookHandler {
  return async function requireAuthentication(request: FastifyRequest, reply: FastifyReply) {
    request.hassAuth = await authenticate(request, authenticators);
    if (request.hassAuth === null) return sendError(reply, 'unauthorized');
  };
}
