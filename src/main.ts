/**
 * Composition root: config → store → app (and the METRICS_PORT listener) → listen, and a graceful
 * stop on SIGTERM/SIGINT.
 * The store is the one the environment selects (open-store.ts): Redis when `REDIS_URL` or `REDIS_SENTINELS` is set, else embedded SQLite.
 */
import { pino } from 'pino';
import { buildApp } from './app.js';
import { AuthConfigError, loadAuthConfig } from './auth-config.js';
import { ConfigError, loadConfig, usesRedis } from './config.js';
import { systemClock } from './domain/clock.js';
import { buildMetricsApp } from './metrics-app.js';
import { createMetrics } from './observability/metrics.js';
import { openConfiguredStore } from './open-store.js';
import { SealingKeyError } from './stores/sealing/secrets-keys.js';
import { DataDirLockedError } from './stores/sqlite/sqlite-store.js';
import { StoreUnavailableError } from './stores/types.js';

const SHUTDOWN_GRACE_MS = 10_000;

/** Failures the operator fixes from one line of text; anything else also prints its stack. */
const OPERATOR_ERRORS = [ConfigError, AuthConfigError, DataDirLockedError, StoreUnavailableError, SealingKeyError];

async function start(): Promise<void> {
  const config = loadConfig();
  const authConfig = loadAuthConfig(config.configFile);
  const logger = pino({ level: config.logLevel });
  const store = await openConfiguredStore(config, logger.child({ store: usesRedis(config) ? 'redis' : 'sqlite' }));
  const urls = [config.internalUrl, config.externalUrl].filter((url) => url !== null);
  // METRICS_PORT: /metrics on a listener of its own, over the registry the app records into.
  const metrics = createMetrics();
  const token = config.metricsToken;
  const metricsListener = config.metricsPort === null ? null : { port: config.metricsPort, app: await buildMetricsApp({ metrics, token, logger }) };
  const app = await buildApp({
    store,
    clock: systemClock,
    logger,
    urls,
    corsAllowedOrigins: config.corsAllowedOrigins,
    haVersion: config.haVersion,
    authConfig,
    statelyInspectUrl: config.statelyInspectUrl,
    metrics,
    metricsRoute: metricsListener === null ? { token } : 'elsewhere',
  });
  let stopping = false;
  const stop = async (signal: string) => {
    // One stop, whatever comes next: a Ctrl-C in a terminal signals the whole process group, and
    // `npm start` then forwards its own SIGINT to this process; the bound below ends a stuck stop.
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // In-flight requests get a bounded time to finish; a stuck close must not keep the process.
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    await app.close();
    await metricsListener?.app.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
  await app.listen({ port: config.port, host: config.host });
  await metricsListener?.app.listen({ port: metricsListener.port, host: config.host });
}

start().catch((error: unknown) => {
  const known = OPERATOR_ERRORS.some((kind) => error instanceof kind);
  console.error(`hass-auth: ${error instanceof Error ? error.message : String(error)}`);
  if (!known && error instanceof Error && error.stack !== undefined) console.error(error.stack);
  process.exit(1);
});
