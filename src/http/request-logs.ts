/**
 * One line per request, at `debug`: what Fastify logs at `info` by default ("incoming request",
 * "request completed"), moved down so that an operator's `info` holds the events worth reading
 * (start, stop, logins, revocations, errors). Above `debug`, pino's `debug` is a no-op.
 */
import type { FastifyInstance } from 'fastify';

export function logRequestsAtDebug(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    request.log.debug({ req: request }, 'incoming request');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}
