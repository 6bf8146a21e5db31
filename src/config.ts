/**
 * Configuration from the environment, validated once at start (env-schema: JSON schema with ajv,
 * the validator Fastify itself uses). A bad value stops the process with a message naming it.
 */
import envSchema from 'env-schema';
import { HA_VERSION } from './domain/version.js';
import { parseSecretsKeys, readSecretsKeyFile, SealingKeyError } from './stores/sealing/secrets-keys.js';

export const configSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8123 },
    HOST: { type: 'string', minLength: 1, default: '0.0.0.0' },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    // host:port,host:port,… (an IPv6 host in brackets: [::1]:26379)
    REDIS_SENTINELS: { type: 'string', pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5}(,(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):\\d{1,5})*$' },
    REDIS_SENTINEL_MASTER: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
    // redis://host:port,redis://host:port,… (or rediss://): some nodes of a Redis Cluster (issue 15)
    REDIS_CLUSTER_NODES: { type: 'string', pattern: '^rediss?://[^,\\s]+(,rediss?://[^,\\s]+)*$' },
    REDIS_MIN_REPLICAS_ACK: { type: 'integer', minimum: 0, maximum: 16, default: 0 },
    REDIS_KEY_PREFIX: { type: 'string', pattern: '^[A-Za-z0-9:._-]{1,64}$', default: 'hass-auth:' },
    LOG_LEVEL: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    INTERNAL_URL: { type: 'string', pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$' },
    CORS_ALLOWED_ORIGINS: { type: 'string', default: 'https://cast.home-assistant.io' },
    EXTERNAL_URL: { type: 'string', pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$' },
    CONFIG_FILE: { type: 'string', minLength: 1 },
    HA_VERSION: { type: 'string', pattern: '^\\d{4}\\.\\d{1,2}\\.\\d+$', default: HA_VERSION },
    STATELY_INSPECT_URL: { type: 'string', pattern: '^wss?://[^/?#\\s]+' },
    // RFC 6750's b64token, at least 32 characters: e.g. `openssl rand -hex 32`.
    METRICS_TOKEN: { type: 'string', pattern: '^[A-Za-z0-9._~+/-]{32,}=*$' },
    METRICS_PORT: { type: 'integer', minimum: 1, maximum: 65535 },
    // 64 hex characters, or several separated by commas (checked below, with a message that repeats no key).
    SECRETS_KEY: { type: 'string' },
    SECRETS_KEY_FILE: { type: 'string', minLength: 1 },
  },
} as const;

/** The environment variables the service reads (docker-compose.yml is checked against these). */
export const CONFIG_ENV_NAMES = Object.keys(configSchema.properties);

export interface Config {
  port: number;
  host: string;
  /** Where the embedded store keeps its file; unused when `redisUrl` is set. */
  dataDir: string;
  /** Set: every instance shares this Redis. Unset or empty (and no sentinels): the embedded SQLite store in `dataDir`. */
  redisUrl: string | null;
  /** Set (instead of `redisUrl`): every instance shares the Redis master these sentinels watch. */
  redisSentinel: { sentinels: Array<{ host: string; port: number }>; masterName: string } | null;
  /** Set (instead of `redisUrl`): every instance shares the Redis Cluster these nodes belong to. */
  redisCluster: { nodes: string[] } | null;
  /** Replicas that must acknowledge each write before it is answered (Redis `WAIT`); 0: none. */
  redisMinReplicasAck: number;
  redisKeyPrefix: string;
  logLevel: string;
  /** Home Assistant's `internal_url` / `external_url`: how clients reach this service (OAuth metadata). */
  internalUrl: string | null;
  externalUrl: string | null;
  /** Home Assistant's `cors_allowed_origins`: origins allowed on views other than the token endpoints. */
  corsAllowedOrigins: string[];
  /**
   * The Home Assistant version announced in the WebSocket's `auth_required`/`auth_ok` and recorded
   * in new refresh tokens. Clients change behaviour by it (home-assistant-js-websocket sends
   * `supported_features` from 2022.9 on), so it stays a release whose auth behaviour this service has.
   */
  haVersion: string;
  /** The YAML file of auth providers, MFA modules and client policies (auth-config.ts); null: the defaults. */
  configFile: string | null;
  /** A Stately inspector server's WebSocket URL, to stream every transition to (observability/stately-inspector.ts); null: none. */
  statelyInspectUrl: string | null;
  /** `GET /metrics` asks for `Authorization: Bearer <this>`; null: no token. */
  metricsToken: string | null;
  /** `GET /metrics` is served on this port (on `host`) and not on `port`; null: on `port`. */
  metricsPort: number | null;
  /**
   * The keys that seal stored secrets (stores/sealing/), the first sealing, and where they came from
   * (`SECRETS_KEY`, or `SECRETS_KEY_FILE` and its path). Null: the embedded store's key file in `dataDir`.
   */
  secretsKeys: { source: string; keys: Buffer[] } | null;
}

interface RawConfig {
  PORT: number;
  HOST: string;
  DATA_DIR: string;
  REDIS_URL?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_MASTER?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_MIN_REPLICAS_ACK: number;
  REDIS_KEY_PREFIX: string;
  LOG_LEVEL: string;
  INTERNAL_URL?: string;
  EXTERNAL_URL?: string;
  CORS_ALLOWED_ORIGINS: string;
  HA_VERSION: string;
  CONFIG_FILE?: string;
  STATELY_INSPECT_URL?: string;
  METRICS_TOKEN?: string;
  METRICS_PORT?: number;
  SECRETS_KEY?: string;
  SECRETS_KEY_FILE?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset (`REDIS_URL=` selects the embedded store).
  const data = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  let raw: RawConfig;
  try {
    raw = envSchema<RawConfig>({ schema: configSchema, data, env: false, dotenv: false });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Invalid configuration: ${detail.replaceAll('env/', '')}`);
  }
  if (raw.METRICS_PORT !== undefined && raw.METRICS_PORT === raw.PORT) {
    throw new ConfigError('Invalid configuration: METRICS_PORT must differ from PORT');
  }
  return {
    port: raw.PORT,
    host: raw.HOST,
    dataDir: raw.DATA_DIR,
    redisUrl: raw.REDIS_URL ?? null,
    redisSentinel: sentinelsOf(raw),
    redisCluster: clusterOf(raw),
    redisMinReplicasAck: raw.REDIS_MIN_REPLICAS_ACK,
    redisKeyPrefix: raw.REDIS_KEY_PREFIX,
    logLevel: raw.LOG_LEVEL,
    internalUrl: raw.INTERNAL_URL ?? null,
    externalUrl: raw.EXTERNAL_URL ?? null,
    corsAllowedOrigins: raw.CORS_ALLOWED_ORIGINS.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''),
    haVersion: raw.HA_VERSION,
    configFile: raw.CONFIG_FILE ?? null,
    statelyInspectUrl: raw.STATELY_INSPECT_URL ?? null,
    metricsToken: raw.METRICS_TOKEN ?? null,
    metricsPort: raw.METRICS_PORT ?? null,
    secretsKeys: secretsKeysOf(raw),
  };
}

/**
 * Redis is shared and often copied (replicas, backups), so a deployment on it must give the key: a
 * key generated on one instance's disk would be one more secret to share between instances.
 */
function secretsKeysOf(raw: RawConfig): Config['secretsKeys'] {
  const { SECRETS_KEY: text, SECRETS_KEY_FILE: file } = raw;
  if (text !== undefined && file !== undefined) throw new ConfigError('Invalid configuration: SECRETS_KEY and SECRETS_KEY_FILE are both set; set one');
  try {
    if (text !== undefined) return { source: 'SECRETS_KEY', keys: parseSecretsKeys(text, 'SECRETS_KEY') };
    if (file !== undefined) return { source: `SECRETS_KEY_FILE (${file})`, keys: readSecretsKeyFile(file, 'SECRETS_KEY_FILE') };
  } catch (error) {
    if (error instanceof SealingKeyError) throw new ConfigError(`Invalid configuration: ${error.message}`);
    throw error;
  }
  if (raw.REDIS_URL !== undefined || raw.REDIS_SENTINELS !== undefined || raw.REDIS_CLUSTER_NODES !== undefined) {
    throw new ConfigError(
      'Invalid configuration: SECRETS_KEY (or SECRETS_KEY_FILE) is required with Redis: the key that seals signing keys and TOTP secrets in the store, e.g. from `openssl rand -hex 32`',
    );
  }
  return null;
}

/** `host:port` (or `[v6]:port`) → its parts; the schema has checked the shape. */
function sentinelNode(entry: string): { host: string; port: number } {
  const colon = entry.lastIndexOf(':');
  const port = Number(entry.slice(colon + 1));
  if (port < 1 || port > 65535) throw new ConfigError(`Invalid configuration: REDIS_SENTINELS has port ${port} out of range in "${entry}"`);
  return { host: entry.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}

/** Sentinel needs both variables, and excludes REDIS_URL: which Redis to use must not be a guess. */
function sentinelsOf(raw: RawConfig): Config['redisSentinel'] {
  const { REDIS_SENTINELS: list, REDIS_SENTINEL_MASTER: masterName, REDIS_URL: url } = raw;
  if (list === undefined && masterName === undefined) return null;
  if (list === undefined) throw new ConfigError('Invalid configuration: REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS');
  if (masterName === undefined) throw new ConfigError('Invalid configuration: REDIS_SENTINELS is set without REDIS_SENTINEL_MASTER (the master name the sentinels monitor)');
  if (url !== undefined) throw new ConfigError('Invalid configuration: REDIS_URL and REDIS_SENTINELS are both set; set one (REDIS_SENTINELS for a master watched by Sentinel)');
  return { sentinels: list.split(',').map(sentinelNode), masterName };
}

/** `redis://host:port` → itself, once it is sure to name a host and a port in range. */
function clusterNode(entry: string): string {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new ConfigError(`Invalid configuration: REDIS_CLUSTER_NODES has an unparsable URL "${redactCredentials(entry)}"`);
  }
  if (url.hostname === '' || url.port === '') throw new ConfigError(`Invalid configuration: REDIS_CLUSTER_NODES needs host:port in "${redactCredentials(entry)}"`);
  if (url.pathname !== '' && url.pathname !== '/') {
    throw new ConfigError(`Invalid configuration: REDIS_CLUSTER_NODES names a database in "${redactCredentials(entry)}"; a cluster has only database 0`);
  }
  return entry;
}

/** Credentials never leave the configuration, not even in its messages. */
function redactCredentials(entry: string): string {
  return entry.replace(/\/\/[^@/]*@/, '//');
}

/**
 * A cluster excludes REDIS_URL and Sentinel (which Redis to use must not be a guess), and replica
 * acknowledgements: WAIT counts the replicas of the one node a connection wrote to, and a
 * cluster's writes go to the master of each key's slot (stores/redis/cluster-connection.ts).
 */
function clusterOf(raw: RawConfig): Config['redisCluster'] {
  const { REDIS_CLUSTER_NODES: list } = raw;
  if (list === undefined) return null;
  if (raw.REDIS_URL !== undefined) throw new ConfigError('Invalid configuration: REDIS_URL and REDIS_CLUSTER_NODES are both set; set one (REDIS_CLUSTER_NODES for a Redis Cluster)');
  if (raw.REDIS_SENTINELS !== undefined || raw.REDIS_SENTINEL_MASTER !== undefined) {
    throw new ConfigError('Invalid configuration: REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set; set one (a Redis Cluster needs no Sentinel: its replicas take over by themselves)');
  }
  if (raw.REDIS_MIN_REPLICAS_ACK > 0) {
    throw new ConfigError('Invalid configuration: REDIS_MIN_REPLICAS_ACK is not supported with REDIS_CLUSTER_NODES (WAIT counts the replicas of one node, a cluster writes to the master of each slot); set it to 0');
  }
  const nodes = list.split(',').map(clusterNode);
  // Every node connection gets the first URL's credentials and TLS (node-redis' cluster `defaults`).
  const schemes = new Set(nodes.map((node) => new URL(node).protocol));
  if (schemes.size > 1) throw new ConfigError('Invalid configuration: REDIS_CLUSTER_NODES mixes redis:// and rediss://; every node of a cluster is reached the same way');
  return { nodes };
}

/** Whether the configuration selects Redis (one server, Sentinel or a cluster) rather than the embedded store. */
export function usesRedis(config: Pick<Config, 'redisUrl' | 'redisSentinel' | 'redisCluster'>): boolean {
  return config.redisUrl !== null || config.redisSentinel !== null || config.redisCluster !== null;
}
