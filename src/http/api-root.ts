/**
 * `GET /api/` — Home Assistant's API status view (homeassistant/components/api/__init__.py):
 *   authenticated → 200 `{"message": "API running."}`; otherwise 401 `401: Unauthorized`.
 * Clients use it to check that a token works.
 */
import type { FastifyInstance } from 'fastify';
import { requireAuth, type Authenticators } from './authenticate.js';

export function apiRootRoutes(app: FastifyInstance, authenticators: Authenticators): void {
  app.get('/api/', { preHandler: requireAuth(authenticators) }, async () => ({ message: 'API running.' }));
}
