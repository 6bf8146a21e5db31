/**
 * Every command of the adapter runs through `run`, which makes "Redis is down" one kind of error:
 * it refuses at once when the client is not connected (pipelines and MULTI would otherwise wait for
 * the reconnect despite `disableOfflineQueue`), bounds the wait for an answer (below), and turns connection
 * failures into StoreUnavailableError (connection-errors.ts).
 */
import { ErrorReply } from 'redis';
import { StoreUnavailableError } from '../types.js';
import type { RedisClient } from './connect.js';
import { toStoreError } from './connection-errors.js';
import { withMovingDeadline } from './deadline.js';

/** The longest one operation waits for its answer, however busy Redis is. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;

/**
 * An operation gives up sooner when Redis has answered nothing on the connection for this long.
 * Redis answers in about a millisecond, so silence while commands wait means a Redis that hangs or
 * a connection that died without closing, whereas a busy Redis (a burst of thousands of commands)
 * keeps answering the earlier ones meanwhile. 0.4 s, so that a request that was part-way through its
 * work when Redis went silent still gets its 503 within a second (issue 7).
 */
export const DEFAULT_SILENCE_TIMEOUT_MS = 400;

export interface CommandLimits {
  commandTimeoutMs: number;
  silenceTimeoutMs: number;
}

/** Runs one store operation (`operation` names it in errors, e.g. `grants.compareAndSet`). */
export type Run = <T>(operation: string, command: (client: RedisClient) => Promise<T>) => Promise<T>;

export function guardedRun(client: RedisClient, limits: CommandLimits): Run {
  // When Redis last answered anything on this connection (an error reply is an answer too).
  let lastAnswerAt = performance.now();
  const answered = () => {
    lastAnswerAt = performance.now();
  };
  return async (operation, command) => {
    if (!client.isReady) {
      const state = client.isOpen ? 'not connected' : 'store closed';
      throw new StoreUnavailableError(`Redis is unavailable (${operation}): ${state}`);
    }
    const sentAt = performance.now();
    const dueAt = () => Math.min(sentAt + limits.commandTimeoutMs, Math.max(sentAt, lastAnswerAt) + limits.silenceTimeoutMs);
    const work = command(client).then(
      (value) => {
        answered();
        return value;
      },
      (error: unknown) => {
        if (error instanceof ErrorReply) answered();
        throw error;
      },
    );
    try {
      return await withMovingDeadline(
        work,
        dueAt,
        () => new StoreUnavailableError(`Redis did not answer ${operation} (waited ${Math.round(performance.now() - sentAt)} ms)`),
      );
    } catch (error) {
      throw toStoreError(operation, error);
    }
  };
}
