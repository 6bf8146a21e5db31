/**
 * The store the environment selects, for the two composition roots (the server, src/main.ts, and the
 * command line, src/cli/): Redis when `REDIS_URL` is set, else the embedded SQLite store in
 * `DATA_DIR`. On SQLite a process needs the data directory to itself (data-dir-lock.ts): a second
 * one gets DataDirLockedError, which both roots report in one line.
 */
import type { Config } from './config.js';
import type { Logger } from './domain/logger.js';
import { openSqliteStore } from './stores/sqlite/sqlite-store.js';
import type { Store } from './stores/types.js';

export async function openConfiguredStore(config: Config, logger: Logger): Promise<Store> {
  if (config.redisUrl !== null) {
    // Loaded only when chosen: node-redis is most of a short-lived command's start-up time.
    const { openRedisStore } = await import('./stores/redis/redis-store.js');
    return openRedisStore({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
  }
  return openSqliteStore({ dataDir: config.dataDir });
}
