/**
 * The CLI reads the service's environment (config.ts: DATA_DIR, REDIS_URL, REDIS_KEY_PREFIX, …), so
 * that it works on the very store the server uses, plus one variable of its own:
 *
 * - `HASS_AUTH_BCRYPT_ROUNDS`: the bcrypt cost of the hashes `user add` and `user change-password`
 *   write. For tests only (a cost-4 hash takes ~1 ms, a cost-12 one ~0.3 s); unset, passwords get
 *   Home Assistant's cost 12. The server never reads it.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';

export const BCRYPT_ROUNDS_ENV = 'HASS_AUTH_BCRYPT_ROUNDS';
/** The costs bcrypt accepts. */
const MIN_ROUNDS = 4;
const MAX_ROUNDS = 31;

export interface CliConfig {
  config: Config;
  /** undefined: the provider's default, Home Assistant's 12. */
  bcryptRounds: number | undefined;
}

function bcryptRounds(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < MIN_ROUNDS || rounds > MAX_ROUNDS) {
    throw new ConfigError(`Invalid configuration: ${BCRYPT_ROUNDS_ENV} must be an integer from ${MIN_ROUNDS} to ${MAX_ROUNDS}`);
  }
  return rounds;
}

/** Throws ConfigError, whose message starts with `Invalid configuration:`, as the server's start does. */
export function loadCliConfig(env: NodeJS.ProcessEnv): CliConfig {
  return { config: loadConfig(env), bcryptRounds: bcryptRounds(env[BCRYPT_ROUNDS_ENV]) };
}
