/**
 * `GET /api/websocket` (ha-auth-spec §10): the WebSocket API over `@fastify/websocket` (ws). A plain
 * GET without the upgrade is refused with 400, as aiohttp refuses it.
 *
 * This instance keeps its open sockets by refresh token (open-sockets.ts) and listens for ends of
 * refresh tokens from the whole deployment; when the bus says it may have missed some, every
 * socket's session is checked again (session-recheck.ts). On shutdown, work left for later runs at
 * once (a token due to be removed is removed) and every socket closes with 1001 "going away".
 * A socket's errors are logged as socket-errors.ts says: what a client sends wrong is a bounded
 * number of `warn` lines without stacks.
 */
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { LoginAttemptService } from '../services/bans/login-attempts.js';
import type { Timers } from '../domain/timers.js';
import type { SocketSessionService } from '../services/tokens/socket-sessions.js';
import { sendError } from '../http/error-reply.js';
import type { WsCommand } from './command.js';
import { commandRegistry } from './command-registry.js';
import { CLOSE_GOING_AWAY, Connection, type ConnectionLimits } from './connection.js';
import { DeferredWork } from './deferred-work.js';
import { OpenSockets } from './open-sockets.js';
import { HA_OUTBOUND_LIMITS } from './outbound.js';
import { sessionRecheck } from './session-recheck.js';
import { socketErrorHandler } from './socket-errors.js';

export interface WebSocketLimits extends ConnectionLimits {
  /** The largest frame accepted; a larger one closes the socket with 1009 (message too big). */
  maxFrameBytes: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  ...HA_OUTBOUND_LIMITS,
  authTimeoutMs: 10_000,
  heartbeatMs: 55_000,
  maxQueued: 64,
  // Commands of this API are small (the longest is a path to sign); Home Assistant's aiohttp allows 4 MiB.
  maxFrameBytes: 256 * 1024,
};

/** How long a shutdown waits for clients to answer its close frame. */
const CLOSE_GRACE_MS = 1000;

export interface WebSocketDeps {
  haVersion: string;
  sessions: SocketSessionService;
  /** Failed and successful handshakes count as logins of the client's address. */
  attempts: LoginAttemptService;
  commands: WsCommand[];
  timers: Timers;
  /** What the log of client mistakes counts its interval by (socket-errors.ts). */
  clock: Clock;
  limits: WebSocketLimits;
}

export async function websocketRoutes(app: FastifyInstance, deps: WebSocketDeps): Promise<OpenSockets> {
  const logger: Logger = app.log;
  const openSockets = new OpenSockets();
  const deferred = new DeferredWork(deps.timers, logger);
  const connections = new Set<Connection>();

  await app.register(fastifyWebsocket, {
    options: { maxPayload: deps.limits.maxFrameBytes },
    errorHandler: socketErrorHandler(logger, deps.clock),
    async preClose() {
      await deferred.runNow();
      for (const connection of connections) connection.close(CLOSE_GOING_AWAY, 'Server shutting down');
      const allClosed = new Promise<void>((resolve) => app.websocketServer.close(() => resolve()));
      // A client that does not answer the close (or reads nothing) must not hold the shutdown: it is
      // cut after a grace. Wall-clock time on purpose: this bounds I/O, it is no rule of the protocol.
      await Promise.race([allClosed, new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
      for (const client of app.websocketServer.clients) client.terminate();
    },
  });

  let stopped = false;
  const recheck = sessionRecheck(deps.sessions, openSockets, logger, () => stopped);
  const stopWatching = deps.sessions.watch(
    (refreshTokenId) => openSockets.end(refreshTokenId),
    () => void recheck(),
  );
  app.addHook('onClose', async () => {
    stopped = true;
    stopWatching();
  });

  const handle = commandRegistry(deps.commands, logger);
  app.route({
    method: 'GET',
    url: '/api/websocket',
    handler: async (_request, reply) => sendError(reply, 'bad_request'),
    wsHandler: (socket, request) => {
      const failedLogin = { url: request.url, userAgent: request.headers['user-agent'] ?? null };
      const connection = new Connection(socket, {
        haVersion: deps.haVersion,
        ip: request.ip,
        sessions: deps.sessions,
        attempts: {
          failed: () => deps.attempts.recordFailure(request.ip, failedLogin),
          succeeded: () => deps.attempts.recordSuccess(request.ip),
        },
        handle,
        openSockets,
        deferred,
        timers: deps.timers,
        limits: deps.limits,
        logger,
      });
      connections.add(connection);
      socket.on('close', () => connections.delete(connection));
      connection.start();
    },
  });
  return openSockets;
}
