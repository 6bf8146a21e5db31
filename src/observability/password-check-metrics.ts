/**
 * The bcrypt queue's metrics (services/providers/password-checks.ts), fed by the queue as it works:
 *
 *   hass_auth_password_checks_refused_total   attempts answered 429 (or a WebSocket error) without a check
 *   hass_auth_password_check_wait_seconds     how long each check that ran waited for a slot (0 when one was free)
 *
 * A rising refusal count is a guessing flood (or a box too small for its logins); waits near the
 * top bucket mean the queue is full most of the time.
 */
import { Counter, Histogram } from 'prom-client';
import type { PasswordCheckObserver } from '../services/providers/password-checks.js';
import type { Metrics } from './metrics.js';

/** From no wait to the longest a full default queue makes anyone wait (≈ 5 checks of 0.3 s), and beyond. */
const WAIT_BUCKETS = [0.005, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

export function passwordCheckMetrics(metrics: Metrics): PasswordCheckObserver {
  const registers = [metrics.registry];
  const refused = new Counter({
    name: 'hass_auth_password_checks_refused_total',
    help: 'Password checks and hashes refused at once because the bcrypt queue was full (answered 429 or a WebSocket error).',
    registers,
  });
  const waited = new Histogram({
    name: 'hass_auth_password_check_wait_seconds',
    help: 'Time each password check or hash waited in the bcrypt queue before it ran.',
    buckets: WAIT_BUCKETS,
    registers,
  });
  return {
    started: (seconds) => waited.observe(seconds),
    refused: () => refused.inc(),
  };
}
