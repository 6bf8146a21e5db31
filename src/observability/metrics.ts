/**
 * The service's Prometheus metrics, in a registry of each app's own (tests build many apps in one
 * process, and the global registry would refuse the second app's metrics):
 *
 *   hass_auth_token_requests_total{grant_type, outcome}  POST /auth/token answers (token-metrics.ts)
 *   hass_auth_login_attempts_total{outcome}              login attempts by how they ended (http/login-outcome.ts)
 *   hass_auth_open_websockets                             this instance's sockets past their auth message
 *   hass_auth_store_seconds{operation}                    store round trips (instrument-store.ts)
 *   hass_auth_store_errors_total{operation}               store calls that rejected
 *   hass_auth_records{machine, state}                     live records, all instances (record-metrics.ts)
 *   hass_auth_password_checks_refused_total               bcrypt queue refusals (password-check-metrics.ts)
 *   hass_auth_password_check_wait_seconds                 time checks waited in the bcrypt queue
 *
 * plus prom-client's default process metrics (`process_*`, `nodejs_*`). Those describe the process,
 * and collecting them starts observers that are never stopped (GC, event-loop delay), so they are
 * collected once per process and shared by every app's registry.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LOGIN_OUTCOMES } from '../domain/login-outcomes.js';

export interface Metrics {
  readonly registry: Registry;
  readonly tokenRequests: Counter<'grant_type' | 'outcome'>;
  readonly loginAttempts: Counter<'outcome'>;
  readonly storeSeconds: Histogram<'operation'>;
  readonly storeErrors: Counter<'operation'>;
}

let processMetrics: Registry | undefined;

function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** SQLite answers in tens of µs, Redis on a LAN in about a millisecond; 3 s is the Redis deadline. */
const STORE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 3];

export function createMetrics(): Metrics {
  // A new registry that starts with the shared process metrics.
  const registry = Registry.merge([processRegistry()]);
  const registers = [registry];
  const loginAttempts = new Counter({
    name: 'hass_auth_login_attempts_total',
    help: 'Login attempts (POST /auth/login_flow and its steps) by how they ended: success, invalid_auth, invalid_code, banned, throttled, ...',
    labelNames: ['outcome'],
    registers,
  });
  // Every outcome from zero, so that a rate over a series that has not moved yet reads 0, not nothing.
  for (const outcome of LOGIN_OUTCOMES) loginAttempts.inc({ outcome }, 0);
  return {
    loginAttempts,
    registry,
    tokenRequests: new Counter({
      name: 'hass_auth_token_requests_total',
      help: 'POST /auth/token answers, by grant type and outcome (issued, revoked, the OAuth error, or status_<code>).',
      labelNames: ['grant_type', 'outcome'],
      registers,
    }),
    storeSeconds: new Histogram({
      name: 'hass_auth_store_seconds',
      help: 'Store round trips, by operation (users.getUser, refreshTokens.compareAndSet, ping, ...).',
      labelNames: ['operation'],
      buckets: STORE_BUCKETS,
      registers,
    }),
    storeErrors: new Counter({
      name: 'hass_auth_store_errors_total',
      help: 'Store calls that rejected (an unreachable store, an unreadable record), by operation.',
      labelNames: ['operation'],
      registers,
    }),
  };
}

/** `hass_auth_open_websockets`, read from this instance's open sockets when scraped. */
export function countOpenSockets(metrics: Metrics, sockets: { readonly size: number }): void {
  new Gauge({
    name: 'hass_auth_open_websockets',
    help: 'WebSocket connections open on this instance that presented an access token (authenticated, or being checked).',
    registers: [metrics.registry],
    collect() {
      this.set(sockets.size);
    },
  });
}
