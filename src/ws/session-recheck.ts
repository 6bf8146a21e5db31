/**
 * After the revocation bus may have missed ends (its Redis subscription was interrupted), every
 * session this instance's sockets hold is read again, and the ended ones close. The bus can be back
 * before the store's own connection is (each reconnects on its own backoff), so a session that
 * cannot be read yet is tried again, backing off, until it can or the server stops. Wall-clock
 * waits on purpose: they pace I/O retries and are no rule of the protocol.
 */
import type { Logger } from '../domain/logger.js';
import type { SocketSessionService } from '../services/tokens/socket-sessions.js';
import type { OpenSockets } from './open-sockets.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export function sessionRecheck(sessions: SocketSessionService, openSockets: OpenSockets, logger: Logger, stopped: () => boolean) {
  return async function recheck(): Promise<void> {
    let unread = openSockets.refreshTokenIds();
    for (let attempt = 0; unread.length > 0 && !stopped(); attempt++) {
      if (attempt > 0) await pause(Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), MAX_RETRY_MS));
      const failed: string[] = [];
      for (const refreshTokenId of unread) {
        try {
          if ((await sessions.current(refreshTokenId)) === null) openSockets.end(refreshTokenId);
        } catch (error) {
          if (attempt === 0) logger.warn({ err: error }, 'websocket: cannot re-check sessions yet; retrying');
          failed.push(refreshTokenId);
        }
      }
      unread = failed;
    }
  };
}
