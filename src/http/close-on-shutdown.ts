/**
 * Keep-alive connections end with the answer they carry once a shutdown has begun (issue 7 item 4:
 * SIGTERM finishes in-flight requests and exits within a bounded time).
 *
 * `app.close()` stops accepting connections and waits for the open ones to end. Node's
 * `server.close()` closes the connections idle at that moment, and Fastify's own
 * `forceCloseConnections: 'idle'` only applies with a custom `serverFactory`; a connection busy then
 * with a slow request (a bcrypt check, queued behind others) would otherwise stay open, idle, after
 * its answer, until the client or `keepAliveTimeout` (72 s) drops it, and the shutdown would run into
 * main.ts's bound instead of finishing. So every answer sent from the start of the shutdown says
 * `Connection: close` (RFC 9112 §9.6: the connection closes after this response), and Node ends the
 * socket once it is written. Requests that arrive during the shutdown are refused by Fastify
 * (`return503OnClosing`), with the same header.
 */
import type { FastifyInstance } from 'fastify';

export function closeConnectionsOnShutdown(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
