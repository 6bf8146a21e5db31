/**
 * `GET /health` — for load balancers and compose health checks: 200 while this instance can reach
 * its store, 503 (JSON) while it cannot. Not part of Home Assistant's surface.
 */
import type { FastifyInstance } from 'fastify';

export function healthRoutes(app: FastifyInstance, checkStore: () => Promise<void>, storeKind: string): void {
  app.get('/health', async () => {
    await checkStore();
    return { status: 'ok', store: storeKind };
  });
}
