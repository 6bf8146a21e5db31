/**
 * `GET /api/` — Home Assistant's API status view (homeassistant/components/api/__init__.py):
 *   authenticated → 200 `{"message": "API running."}`; otherwise 401 `401: Unauthorized`.
 * Clients use it to check that a token works.
 */
import type { FastifyInstance } from 'fastify';
import type { AccessTokenService } from '../services/access-tokens.js';
import { requireAuth } from './authenticate.js';

export function apiRootRoutes(app: FastifyInstance, accessTokens: AccessTokenService): void {
  app.get('/api/', { preHandler: requireAuth(accessTokens) }, async () => ({ message: 'API running.' }));
}
