/**
 * Onboarding views (homeassistant/components/onboarding/views.py):
 *
 *   GET  /api/onboarding → [{"step": "user", "done": false}, {"step": "core_config", "done": false}, …]
 *   GET  /api/onboarding/installation_type → {"installation_type": "…"} until a step is done, then 401
 *   POST /api/onboarding/users {"name": "Alice", "username": "alice", "password": "…",
 *                               "client_id": "https://app.example/", "language": "en"}
 *        → {"auth_code": "<32 hex>"}; 403 {"message": "User step already done"} once an owner exists
 *        (429 {"message": "Too many password checks at once, try again shortly"} with `Retry-After`
 *        while the bcrypt queue is full: no owner is kept, services/providers/password-checks.ts)
 */
import type { FastifyInstance } from 'fastify';
import { answerOf } from '../domain/errors.js';
import type { OnboardingService } from '../services/users/onboarding.js';
import { sendAnswer, sendError } from './error-reply.js';
import { acceptJsonBodies, validatedBody } from './json-body.js';

/** What this service reports as its installation type (Home Assistant reports e.g. "Home Assistant OS"). */
export const INSTALLATION_TYPE = 'Home Assistant Auth (standalone)';

const userSchema = {
  fields: {
    name: { type: 'str', required: true },
    username: { type: 'str', required: true },
    password: { type: 'str', required: true },
    client_id: { type: 'str', required: true },
    language: { type: 'str', required: true },
  },
} as const;

export function onboardingRoutes(app: FastifyInstance, onboarding: OnboardingService): void {
  app.get('/api/onboarding', async () => onboarding.steps());

  app.get('/api/onboarding/installation_type', async (_request, reply) => {
    if (await onboarding.isStarted()) return sendError(reply, 'unauthorized');
    return { installation_type: INSTALLATION_TYPE };
  });

  void app.register(async (scope) => {
    acceptJsonBodies(scope);
    scope.post('/api/onboarding/users', async (request, reply) => {
      const data = await validatedBody(request, reply, userSchema);
      if (data === null) return reply;
      const { name, username, password, client_id: clientId } = data as { name: string; username: string; password: string; client_id: string };
      const outcome = await onboarding.createOwner({ name, username, password, clientId });
      if (outcome.kind === 'already_done') return sendError(reply, 'user_step_done');
      if (outcome.kind === 'invalid_username') return sendAnswer(reply, answerOf(outcome.refusal));
      return { auth_code: outcome.authCode };
    });
  });
}
