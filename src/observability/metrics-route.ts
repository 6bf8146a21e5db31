/**
 * `GET /metrics` — this instance's metrics (metrics.ts) in Prometheus' text format:
 *
 *   → 200 text/plain; version=0.0.4
 *     # HELP hass_auth_token_requests_total POST /auth/token answers, by grant type and outcome …
 *     # TYPE hass_auth_token_requests_total counter
 *     hass_auth_token_requests_total{grant_type="refresh_token",outcome="issued"} 3
 *
 * Not part of Home Assistant's surface. It shows counts and timings, never a token or a user, but
 * it tells who can read it how the service is used: `METRICS_TOKEN` puts it behind a bearer token
 * (`guard`, http/metrics-token.ts), `METRICS_PORT` on a listener of its own (metrics-app.ts). Each
 * instance answers for itself; Prometheus adds them up.
 */
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Metrics } from './metrics.js';

export function metricsRoutes(app: FastifyInstance, metrics: Metrics, guard?: preHandlerAsyncHookHandler): void {
  app.get('/metrics', guard === undefined ? {} : { preHandler: guard }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
