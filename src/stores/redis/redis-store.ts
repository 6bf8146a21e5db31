/**
 * The Redis store (ARCHITECTURE.md, "Stores"): for many instances sharing one Redis. Every key and
 * the revocation channel live under `keyPrefix` (keys.ts has the layout); every write that touches
 * more than one key, or must compare before it writes, is one Lua script (scripts/). While Redis is
 * down every operation rejects at once with StoreUnavailableError and the connection keeps trying to
 * come back; opening rejects within a few seconds when Redis cannot be reached at all.
 */
import type { Logger } from '../../domain/logger.js';
import { envelopeCodec } from '../envelope-codec.js';
import { logSealingPass } from '../sealing/sealing-marker.js';
import type { Sealer } from '../sealing/sealer.js';
import type { ReadableStore } from '../store-contents.js';
import { redisActorRecords } from './actor-records.js';
import { redisAudit } from './audit.js';
import { connectRedis, DEFAULT_CONNECT_TIMEOUT_MS, redactUrl } from './connect.js';
import type { RedisConnection } from './connection.js';
import { directConnection } from './direct-connection.js';
import { redisContents } from './contents.js';
import { redisFlows } from './flows.js';
import { redisGrants } from './grants.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_SILENCE_TIMEOUT_MS, guardedRun } from './guard.js';
import { anywhere, placementBy } from '../placement.js';
import { keyWalk } from './key-walk.js';
import { redisKeys } from './keys.js';
import { RedisBanChanges } from './ban-changes.js';
import { redisLoginAttempts } from './login-attempts.js';
import { redisMfa } from './mfa.js';
import { redisRefreshTokens } from './refresh-tokens.js';
import { redisRecordCounts } from './record-counts.js';
import { RedisRevocationBus } from './revocation-bus.js';
import { RedisTransitionChannel } from './transition-channel.js';
import { redisEndedRecords } from './ended-records.js';
import { sealStoredSecrets, sealStoredSecretsIfMarked } from './sealing.js';
import { redisSecrets } from './secrets.js';
import { redisUsers } from './users.js';
import type { SentinelTarget } from './sentinel-connection.js';
import { connectSentinel } from './sentinel-start.js';
import { connectCluster } from './cluster-start.js';

export interface RedisStoreOptions {
  /** One server: `redis://[user:password@]host:port[/db]`. */
  url?: string;
  /** A master watched by Sentinel (instead of `url`). */
  sentinel?: SentinelTarget;
  /** A Redis Cluster (instead of `url`): `redis://host:port` of some of its nodes (issue 15). */
  cluster?: { nodes: string[] };
  /** Prepended as is to every key and to the channel, e.g. `hass-auth:`. */
  keyPrefix: string;
  /** Per connection attempt (default 2 s). */
  connectTimeoutMs?: number;
  /** The longest one operation waits for Redis' answer (default 3 s, guard.ts). */
  commandTimeoutMs?: number;
  /** How long an operation waits while Redis answers nothing at all on the connection (default 0.4 s, guard.ts). */
  silenceTimeoutMs?: number;
  /** Replicas that must acknowledge each write before it is answered (replica-acks.ts; default 0). */
  minReplicasAck?: number;
  /** Seals the store's secrets (sealing/sealer.ts): SECRETS_KEY's keys, which Redis never sees. */
  sealer: Sealer;
  logger?: Logger;
}

/** Opening through Sentinel may try every sentinel in turn, each within the connect timeout. */
const SENTINEL_START_TIMEOUT_MS = 9_000;
/** Opening a cluster may try every listed node in turn, each within the connect timeout; the process starts in about a second, and must stop within 10 s (issue 15). */
const CLUSTER_START_TIMEOUT_MS = 8_000;

async function openConnection(options: RedisStoreOptions): Promise<RedisConnection> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (options.cluster !== undefined) {
    if (options.url !== undefined || options.sentinel !== undefined) throw new RangeError('openRedisStore: give one of url, sentinel or cluster');
    // WAIT counts the replicas of the one node a connection wrote to (cluster-connection.ts).
    if ((options.minReplicasAck ?? 0) > 0) throw new RangeError('openRedisStore: minReplicasAck is not supported on a cluster');
    return connectCluster(options.cluster.nodes, { connectTimeoutMs, startTimeoutMs: CLUSTER_START_TIMEOUT_MS, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  }
  if (options.sentinel !== undefined && options.url === undefined) {
    return connectSentinel(options.sentinel, { connectTimeoutMs, startTimeoutMs: SENTINEL_START_TIMEOUT_MS, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  }
  if (options.url === undefined || options.sentinel !== undefined) throw new RangeError('openRedisStore: give either url or sentinel');
  const client = await connectRedis({ ...options, url: options.url });
  return directConnection(client, redactUrl(options.url), options.logger);
}

export async function openRedisStore(options: RedisStoreOptions): Promise<ReadableStore> {
  const connection = await openConnection(options);
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const run = guardedRun(connection, {
    commandTimeoutMs,
    silenceTimeoutMs: options.silenceTimeoutMs ?? DEFAULT_SILENCE_TIMEOUT_MS,
    minReplicasAck: options.minReplicasAck ?? 0,
  });
  // On a cluster the names carry hash tags (keys.ts); one server's stay as they always were.
  const keys = redisKeys(options.keyPrefix, { cluster: options.cluster !== undefined });
  const walk = keyWalk(run, () => connection.masters());
  const { sealer } = options;
  const codec = envelopeCodec(sealer);
  try {
    const started = performance.now();
    const pass = await sealStoredSecretsIfMarked(run, keys, walk, sealer, codec);
    if (pass !== null) logSealingPass(options.logger, pass, performance.now() - started);
  } catch (error) {
    await connection.close(commandTimeoutMs);
    throw error;
  }
  const logger = options.logger === undefined ? {} : { logger: options.logger };
  const revocations = new RedisRevocationBus({ connection, run, channel: keys.revocationChannel, subscribeWaitMs: commandTimeoutMs, ...logger });
  const banChanges = new RedisBanChanges({ connection, channel: keys.banChannel, ...logger });
  const transitions = new RedisTransitionChannel({ connection, run, channel: keys.transitionChannel, subscribeWaitMs: commandTimeoutMs, ...logger });
  return {
    kind: 'redis',
    placement: keys.cluster ? placementBy(keys.bucketOf) : anywhere,
    users: redisUsers(run, keys),
    grants: redisGrants(run, keys, codec),
    flows: redisFlows(run, keys, codec),
    mfaSetupFlows: redisActorRecords(run, { name: 'mfaSetupFlows', keys, key: keys.mfaSetupFlow, machine: 'mfaSetupFlow' }, codec),
    mfa: redisMfa(run, keys, sealer),
    refreshTokens: redisRefreshTokens(run, keys, codec),
    revocations,
    transitions,
    endedRecords: redisEndedRecords(run, keys),
    secrets: redisSecrets(run, keys, sealer),
    loginAttempts: redisLoginAttempts(run, keys, banChanges),
    audit: redisAudit(run, keys),
    ping: async () => {
      await run('ping', (c) => c.ping());
    },
    countByState: redisRecordCounts(run, keys),
    readContents: redisContents(run, keys, codec, walk),
    sealSecrets: () => sealStoredSecrets(run, keys, walk, sealer, codec),
    close: async () => {
      revocations.close();
      banChanges.close();
      transitions.close();
      await connection.close(commandTimeoutMs);
    },
  };
}
