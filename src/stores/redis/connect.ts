/**
 * The Redis connection: created fail-fast (ARCHITECTURE.md, "Stores": no unbounded offline queue;
 * HTTP answers 503 while Redis is down, nothing is half-written) and self-healing.
 *
 * - `disableOfflineQueue`: while disconnected, a command is rejected at once instead of waiting
 *   in memory for a reconnect that may take minutes (requests would pile up and then replay late).
 * - A short connect timeout, and a reconnect strategy that never gives up once open (reconnect.ts).
 * - An `error` listener is always attached: node-redis emits `error` on every failed attempt, and an
 *   EventEmitter without one would crash the process.
 * - The scripts are registered on the client (`scripts`), which calls them by EVALSHA.
 * - No per-command timeout of node-redis (`commandOptions.timeout: 0`; its default is 5 s): guard.ts
 *   already bounds every wait for an answer, and node-redis arms an `AbortSignal.timeout` for each
 *   command, which cost about 16 µs of CPU per command on the bench machine, against about 2 µs
 *   for the rest of a GET; a refresh grant makes several round trips (bench/RESULTS.md).
 */
import { createClient } from 'redis';
import type { Logger } from '../../domain/logger.js';
import { StoreUnavailableError } from '../types.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { reconnectStrategy } from './reconnect.js';
import { redisScripts } from './scripts/index.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

export interface ConnectOptions {
  url: string;
  connectTimeoutMs?: number;
  logger?: Logger;
}

function createStoreClient(url: string, connectTimeoutMs: number, hasOpened: () => boolean) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: 0 },
    socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: reconnectStrategy(hasOpened) },
    scripts: redisScripts,
  });
}

export type RedisClient = ReturnType<typeof createStoreClient>;

/** The URL for messages and logs: credentials never leave the config. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}

/** Logs when the connection is lost and when it is back, not every failed attempt in between. */
export function watchConnection(client: RedisClient, where: string, logger: Logger | undefined): void {
  let everReady = false;
  let down = false;
  client.on('error', (error: unknown) => {
    if (!everReady || down) return;
    down = true;
    logger?.warn({ redis: where, err: describeError(error) }, 'Redis connection lost; reconnecting');
  });
  client.on('ready', () => {
    if (down) logger?.info({ redis: where }, 'Redis connection restored');
    everReady = true;
    down = false;
  });
}

/**
 * Connects, or rejects with StoreUnavailableError within `connectTimeoutMs`. The deadline covers the
 * handshake too, so something on the port that accepts but never answers cannot hang the start.
 */
export async function connectRedis(options: ConnectOptions): Promise<RedisClient> {
  const where = redactUrl(options.url);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let opened = false;
  let client: RedisClient;
  try {
    client = createStoreClient(options.url, connectTimeoutMs, () => opened);
  } catch (error) {
    throw new Error(`invalid Redis URL: ${describeError(error)}`, { cause: error });
  }
  watchConnection(client, where, options.logger);
  try {
    await withDeadline(client.connect(), connectTimeoutMs, () => new Error(`no answer within ${connectTimeoutMs} ms`));
  } catch (error) {
    client.destroy();
    throw new StoreUnavailableError(`cannot reach Redis at ${where}: ${describeError(error)}`, { cause: error });
  }
  opened = true;
  return client;
}
