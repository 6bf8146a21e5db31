/**
 * Configuration from the environment, validated once at start (env-schema: JSON schema with ajv,
 * the validator Fastify itself uses). A bad value stops the process with a message naming it.
 */
import envSchema from 'env-schema';
import { HA_VERSION } from './domain/version.js';

export const configSchema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8123 },
    HOST: { type: 'string', minLength: 1, default: '0.0.0.0' },
    DATA_DIR: { type: 'string', minLength: 1, default: './data' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://' },
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
  },
} as const;

/** The environment variables the service reads (docker-compose.yml is checked against these). */
export const CONFIG_ENV_NAMES = Object.keys(configSchema.properties);

export interface Config {
  port: number;
  host: string;
  /** Where the embedded store keeps its file; unused when `redisUrl` is set. */
  dataDir: string;
  /** Set: every instance shares this Redis. Unset or empty: the embedded SQLite store in `dataDir`. */
  redisUrl: string | null;
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
}

interface RawConfig {
  PORT: number;
  HOST: string;
  DATA_DIR: string;
  REDIS_URL?: string;
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
  };
}
