/**
 * POST /auth/link_user (Bearer) {"code": "<code of a link_user flow>", "client_id": "https://app.example/"}
 *   → 200 {"message": "User linked"}; 400 {"message": "Invalid code"}; 400 {"message": "Credential already linked"}.
 * Home Assistant declares both keys optional and answers 500 when one is missing; here that is the
 * schema's 400 (`Message format incorrect: required key not provided @ data['code']`).
 */
import type { FastifyInstance } from 'fastify';
import type { LinkUserService } from '../services/login/link-user.js';
import { requireAuth, type Authenticators } from './authenticate.js';
import { sendError } from './error-reply.js';
import { acceptJsonBodies, validatedBody } from './json-body.js';

const schema = { fields: { code: { type: 'str', required: true }, client_id: { type: 'str', required: true } } } as const;

export function linkUserRoutes(app: FastifyInstance, authenticators: Authenticators, links: LinkUserService): void {
  void app.register(async (scope) => {
    acceptJsonBodies(scope);
    scope.post('/auth/link_user', { preHandler: requireAuth(authenticators) }, async (request, reply) => {
      const data = await validatedBody(request, reply, schema);
      if (data === null || request.hassAuth === null) return reply;
      const { code, client_id: clientId } = data as { code: string; client_id: string };
      const outcome = await links.link(request.hassAuth.user, clientId, code);
      if (outcome === 'invalid_code') return sendError(reply, 'invalid_code');
      if (outcome === 'already_linked') return sendError(reply, 'credential_already_linked');
      return { message: 'User linked' };
    });
  });
}
