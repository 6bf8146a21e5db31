/**
 * The listener of `METRICS_PORT`: `GET /metrics` and nothing else, over the registry the service's
 * app records into (buildApp's `metrics`), so that the service's own port does not serve it at all.
 * Prometheus scrapes this port on the internal network while only the service's port is published
 * (docker-compose.yml). Like buildApp it never listens: main.ts does.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installErrorHandling } from './http/error-handler.js';
import { requireMetricsToken } from './http/metrics-token.js';
import { addSecurityHeaders } from './http/security-headers.js';
import type { Metrics } from './observability/metrics.js';
import { metricsRoutes } from './observability/metrics-route.js';

export interface MetricsAppDeps {
  metrics: Metrics;
  /** `METRICS_TOKEN`, asked for here too; null: none. */
  token: string | null;
  logger?: FastifyBaseLogger;
}

export async function buildMetricsApp({ metrics, token, logger }: MetricsAppDeps): Promise<FastifyInstance> {
  const app = Fastify(logger === undefined ? {} : { loggerInstance: logger });
  addSecurityHeaders(app);
  installErrorHandling(app);
  metricsRoutes(app, metrics, token === null ? undefined : requireMetricsToken(token));
  await app.ready();
  return app;
}
