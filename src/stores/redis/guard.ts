/**
 * Every command of the adapter runs through `run`, which makes "Redis is down" one kind of error:
 * it refuses at once when the client is not connected (pipelines and MULTI would otherwise wait for
 * the reconnect despite `disableOfflineQueue`), bounds the wait for an answer, and turns connection
 * failures into StoreUnavailableError (connection-errors.ts).
 */
import { StoreUnavailableError } from '../types.js';
import type { RedisClient } from './connect.js';
import { toStoreError } from './connection-errors.js';
import { withDeadline } from './deadline.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;

/** Runs one store operation (`operation` names it in errors, e.g. `grants.compareAndSet`). */
export type Run = <T>(operation: string, command: (client: RedisClient) => Promise<T>) => Promise<T>;

export function guardedRun(client: RedisClient, commandTimeoutMs: number): Run {
  return async (operation, command) => {
    if (!client.isReady) {
      const state = client.isOpen ? 'not connected' : 'store closed';
      throw new StoreUnavailableError(`Redis is unavailable (${operation}): ${state}`);
    }
    try {
      return await withDeadline(
        command(client),
        commandTimeoutMs,
        () => new StoreUnavailableError(`Redis did not answer ${operation} within ${commandTimeoutMs} ms`),
      );
    } catch (error) {
      throw toStoreError(operation, error);
    }
  };
}
