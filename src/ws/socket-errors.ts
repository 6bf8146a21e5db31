/**
 * Errors a WebSocket emits, and what the log says of them. ws refuses what a client sends wrong
 * (text that is not UTF-8, a frame over the limit, a bad opcode, an unmasked frame: `WS_ERR_*`,
 * closing with the code that names it) and the network drops connections (`ECONNRESET`): the
 * client's doing, which anyone can repeat before authenticating. So such an error is a `warn`
 * line with the client's address and ws' words, never the stack (ws' own, which says nothing about
 * the client), and at most `perInterval` lines per `intervalMs` per instance; the next line logged
 * after a quiet spell says how many were left out. Anything else is a fault of this service:
 * `error`, with its stack. @fastify/websocket's default handler logs every one of them at `error`.
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';

const NETWORK_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

export const CLIENT_MISTAKES_PER_INTERVAL = 10;
export const CLIENT_MISTAKE_INTERVAL_MS = 60_000;

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

export function isClientMistake(error: unknown): boolean {
  const code = codeOf(error);
  return code !== null && (code.startsWith('WS_ERR_') || NETWORK_ERRORS.has(code));
}

/** A log of client mistakes that keeps to `perInterval` lines per `intervalMs`. */
export function clientMistakeLog(logger: Logger, clock: Clock, perInterval = CLIENT_MISTAKES_PER_INTERVAL, intervalMs = CLIENT_MISTAKE_INTERVAL_MS) {
  let windowStart = -Infinity;
  let logged = 0;
  let notLogged = 0;
  return (error: unknown, ip: string): void => {
    const now = clock();
    if (now - windowStart >= intervalMs) {
      windowStart = now;
      logged = 0;
    }
    if (logged >= perInterval) {
      notLogged += 1;
      return;
    }
    logged += 1;
    const reason = error instanceof Error ? error.message : String(error);
    logger.warn({ ip, code: codeOf(error), reason, ...(notLogged > 0 ? { notLogged } : {}) }, 'websocket: client error');
    notLogged = 0;
  };
}

/** @fastify/websocket's `errorHandler`: an error of an open socket, which then ends. */
export function socketErrorHandler(logger: Logger, clock: Clock) {
  const mistake = clientMistakeLog(logger, clock);
  return (error: Error, socket: WebSocket, request: FastifyRequest): void => {
    if (isClientMistake(error)) mistake(error, request.ip);
    else logger.error({ err: error }, 'websocket: socket failed');
    socket.terminate();
  };
}
