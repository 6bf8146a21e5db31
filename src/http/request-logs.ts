/**
 * One line per request, at `debug`: what Fastify logs at `info` by default ("incoming request",
 * "request completed"), moved down so that an operator's `info` holds the events worth reading
 * (start, stop, logins, revocations, errors). Above `debug`, pino's `debug` is a no-op.
 */
import type { FastifyInstance } from 'fastify';

export function logRequestsAtDebug(app: FastifyInstance): void {
  // Above `debug` they would log nothing: no hooks then, which every request would run for nothing.
  if (app.log.level !== 'debug' && app.log.level !== 'trace') return;
  app.addHook('onRequest', (request, _reply, done) => {
    request.log.debug({ req: request }, 'incoming request');
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
}
