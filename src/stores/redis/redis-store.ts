/**
 * The Redis store (ARCHITECTURE.md, "Stores"): for many instances sharing one Redis. Every key and
 * the revocation channel live under `keyPrefix` (keys.ts has the layout); every write that touches
 * more than one key, or must compare before it writes, is one Lua script (scripts/). While Redis is
 * down every operation rejects at once with StoreUnavailableError and the connection keeps trying to
 * come back; opening rejects within a few seconds when Redis cannot be reached at all.
 */
import type { Logger } from '../../domain/logger.js';
import type { Store } from '../types.js';
import { redisActorRecords } from './actor-records.js';
import { redisAudit } from './audit.js';
import { connectRedis, redactUrl, type RedisClient } from './connect.js';
import { redisContents } from './contents.js';
import { redisFlows } from './flows.js';
import { withDeadline } from './deadline.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_SILENCE_TIMEOUT_MS, guardedRun } from './guard.js';
import { redisKeys } from './keys.js';
import { RedisBanChanges } from './ban-changes.js';
import { redisLoginAttempts } from './login-attempts.js';
import { redisMfa } from './mfa.js';
import { redisRefreshTokens } from './refresh-tokens.js';
import { redisRecordCounts } from './record-counts.js';
import { RedisRevocationBus } from './revocation-bus.js';
import { redisSecrets } from './secrets.js';
import { redisUsers } from './users.js';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` */
  url: string;
  /** Prepended as is to every key and to the channel, e.g. `hass-auth:`. */
  keyPrefix: string;
  /** Per connection attempt (default 2 s). */
  connectTimeoutMs?: number;
  /** The longest one operation waits for Redis' answer (default 3 s, guard.ts). */
  commandTimeoutMs?: number;
  /** How long an operation waits while Redis answers nothing at all on the connection (default 0.4 s, guard.ts). */
  silenceTimeoutMs?: number;
  logger?: Logger;
}

export async function openRedisStore(options: RedisStoreOptions): Promise<Store> {
  const client = await connectRedis(options);
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const run = guardedRun(client, { commandTimeoutMs, silenceTimeoutMs: options.silenceTimeoutMs ?? DEFAULT_SILENCE_TIMEOUT_MS });
  const keys = redisKeys(options.keyPrefix);
  const revocations = new RedisRevocationBus({
    client,
    run,
    channel: keys.revocationChannel,
    subscribeWaitMs: commandTimeoutMs,
    where: redactUrl(options.url),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const banChanges = new RedisBanChanges({
    client,
    channel: keys.banChannel,
    where: redactUrl(options.url),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return {
    kind: 'redis',
    users: redisUsers(run, keys),
    grants: redisActorRecords(run, { name: 'grants', key: keys.grant }),
    flows: redisFlows(run, keys),
    mfaSetupFlows: redisActorRecords(run, { name: 'mfaSetupFlows', key: keys.mfaSetupFlow }),
    mfa: redisMfa(run, keys),
    refreshTokens: redisRefreshTokens(run, keys),
    revocations,
    secrets: redisSecrets(run, keys),
    loginAttempts: redisLoginAttempts(run, keys, banChanges),
    audit: redisAudit(run, keys),
    ping: async () => {
      await run('ping', (c) => c.ping());
    },
    countByState: redisRecordCounts(run, keys),
    readContents: redisContents(run, keys),
    close: async () => {
      revocations.close();
      banChanges.close();
      await closeClient(client, commandTimeoutMs);
    },
  };
}

/** Lets commands in flight finish (bounded), then drops the connection; a second close is a no-op. */
async function closeClient(client: RedisClient, waitMs: number): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    client.destroy();
    return;
  }
  try {
    await withDeadline(client.close(), waitMs, () => new Error('close timed out'));
  } catch {
    client.destroy();
  }
}
