/**
 * Reconnecting after Redis went away: the service must recover without a restart, so once the
 * store has opened the client retries forever, backing off exponentially to a cap (a Redis that is
 * restarting is not flooded by every instance at once; jitter spreads the instances apart).
 * Before the store has opened, the first failure ends the attempt: a service started against a
 * Redis it cannot reach fails at once with a clear message (config.ts style fail fast).
 */
export const FIRST_RETRY_MS = 50;
export const MAX_RETRY_MS = 2_000;

/** Delay before reconnect attempt `retries` (0-based): 50 ms doubling to 2 s, with up to 50% jitter off. */
export function reconnectDelay(retries: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(retries, 16));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/** node-redis' `reconnectStrategy`: `false` stops, a number waits that long and tries again. */
export function reconnectStrategy(hasOpened: () => boolean): (retries: number) => number | false {
  return (retries) => (hasOpened() ? reconnectDelay(retries) : false);
}
