/**
 * Probes, for load balancers, compose health checks and orchestrators. Not part of Home Assistant's
 * surface. Both ask one question, whether this instance can reach its store (`store.ping()`), since
 * that is all it needs to serve:
 *
 *   GET /health → 200 {"status": "ok", "store": "redis"}
 *               → 503 {"message": "Service unavailable: the store cannot be reached"} (error-handler.ts)
 *   GET /ready  → 200 {"status": "ready"}
 *               → 503 {"status": "unavailable", "message": "the store cannot be reached"}
 *
 * `/ready` is the readiness probe's name and shape (a body whatever the answer, nothing logged as an
 * error); `/health` keeps its contract for what already uses it. While the server shuts down both
 * answer 503 (Fastify's `return503OnClosing`). Neither suits a liveness probe: restarting an
 * instance does not bring its store back.
 */
import type { FastifyInstance } from 'fastify';

export function healthRoutes(app: FastifyInstance, checkStore: () => Promise<void>, storeKind: string): void {
  app.get('/health', async () => {
    await checkStore();
    return { status: 'ok', store: storeKind };
  });

  app.get('/ready', async (request, reply) => {
    try {
      await checkStore();
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'not ready: store unreachable');
      return reply.code(503).send({ status: 'unavailable', message: 'the store cannot be reached' });
    }
  });
}
