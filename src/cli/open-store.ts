/**
 * The store the CLI works on, chosen exactly as src/main.ts chooses the server's: Redis when
 * `REDIS_URL` is set, else the embedded SQLite store in `DATA_DIR`.
 *
 * This repeats main.ts's four-line choice on purpose: main.ts keeps it private and starts the
 * server when imported, so sharing it would mean editing main.ts. Keep the two in step.
 *
 * On SQLite the CLI needs the data directory to itself (data-dir-lock.ts): while the server runs on
 * the same DATA_DIR, opening throws DataDirLockedError, which run-cli.ts reports in one line.
 */
import type { Config } from '../config.js';
import type { Logger } from '../domain/logger.js';
import { openSqliteStore } from '../stores/sqlite/sqlite-store.js';
import type { Store } from '../stores/types.js';

export async function openCliStore(config: Config, logger: Logger): Promise<Store> {
  if (config.redisUrl !== null) {
    // Loaded only when chosen: node-redis is most of a command's start-up time on SQLite.
    const { openRedisStore } = await import('../stores/redis/redis-store.js');
    return openRedisStore({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
  }
  return openSqliteStore({ dataDir: config.dataDir });
}
