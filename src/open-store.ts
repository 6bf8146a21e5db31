/**
 * The store the environment selects, for the two composition roots (the server, src/main.ts, and the
 * command line, src/cli/): Redis when `REDIS_URL` (one server), `REDIS_SENTINELS` (a master watched
 * by Sentinel) or `REDIS_CLUSTER_NODES` (a Redis Cluster) is set, else the embedded SQLite store in
 * `DATA_DIR`. On SQLite a process needs the data directory to itself (data-dir-lock.ts): a second
 * one gets DataDirLockedError, which both roots report in one line.
 */
import { usesRedis, type Config } from './config.js';
import type { Logger } from './domain/logger.js';
import { createSealer } from './stores/sealing/sealer.js';
import { openSqliteStore } from './stores/sqlite/sqlite-store.js';
import type { Store } from './stores/types.js';

const SENTINEL_VARIABLES = { sentinels: 'REDIS_SENTINELS', masterName: 'REDIS_SENTINEL_MASTER' } as const;

/**
 * Secrets in the store are sealed with SECRETS_KEY's keys (config.ts requires them with Redis), or on
 * the embedded store by default with its key file in DATA_DIR (stores/sealing/secrets-keys.ts).
 */
export async function openConfiguredStore(config: Config, logger: Logger): Promise<Store> {
  const sealer = config.secretsKeys === null ? undefined : createSealer(config.secretsKeys.keys, config.secretsKeys.source);
  if (usesRedis(config)) {
    if (sealer === undefined) throw new RangeError('Redis needs SECRETS_KEY: config.ts must have refused this configuration');
    // Loaded only when chosen: node-redis is most of a short-lived command's start-up time.
    const { openRedisStore } = await import('./stores/redis/redis-store.js');
    const { SentinelStartError } = await import('./stores/redis/sentinel-start.js');
    const { ClusterStartError } = await import('./stores/redis/cluster-start.js');
    const target =
      config.redisCluster !== null ? { cluster: config.redisCluster } : config.redisSentinel !== null ? { sentinel: config.redisSentinel } : { url: config.redisUrl ?? '' };
    return openRedisStore({ ...target, keyPrefix: config.redisKeyPrefix, minReplicasAck: config.redisMinReplicasAck, sealer, logger }).catch((error: unknown) => {
      // The operator fixes a variable: name it.
      if (error instanceof SentinelStartError) throw new SentinelStartError(error.setting, `${SENTINEL_VARIABLES[error.setting]}: ${error.message}`, { cause: error });
      if (error instanceof ClusterStartError) throw new ClusterStartError(`REDIS_CLUSTER_NODES: ${error.message}`, { cause: error });
      throw error;
    });
  }
  return openSqliteStore({ dataDir: config.dataDir, logger, ...(sealer === undefined ? {} : { sealer }) });
}
