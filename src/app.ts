/**
 * buildApp(deps): the Fastify application with its routes and hooks. It never listens: main.ts does,
 * and tests call `inject` or listen on a random port themselves.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Clock } from './domain/clock.js';
import { apiRootRoutes } from './http/api-root.js';
import { installErrorHandling } from './http/error-handler.js';
import { healthRoutes } from './http/health.js';
import { addSecurityHeaders } from './http/security-headers.js';
import { accessTokenService } from './services/access-tokens.js';
import type { Store } from './stores/types.js';

export interface AppDeps {
  store: Store;
  clock: Clock;
  /** Where requests and errors are logged; silent when absent (tests). */
  logger?: FastifyBaseLogger;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ ...(deps.logger === undefined ? {} : { loggerInstance: deps.logger }), return503OnClosing: true });
  app.decorateRequest('hassAuth', null);
  addSecurityHeaders(app);
  installErrorHandling(app);
  const accessTokens = accessTokenService(deps.store, deps.clock, app.log);
  healthRoutes(app, () => deps.store.ping(), deps.store.kind);
  apiRootRoutes(app, accessTokens);
  await app.ready();
  return app;
}
