/**
 * Store round trips per request, as the service itself counts them: `GET /metrics`,
 * `hass_auth_store_seconds_count{operation}` (src/observability/instrument-store.ts times every
 * store call, one call being one round trip). Read from outside, on either store; and Redis'
 * memory (INFO memory) for the bulk scenario.
 */
import { rawClient } from '../test/stores/redis-harness.js';

/** Calls per store operation so far. */
export async function storeOperations(baseUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^hass_auth_store_seconds_count\{operation="([^"]+)"\} (\d+)/gm)) {
    calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

/** Operations per request between two readings, most frequent first, e.g. `refreshTokens.load 1.00, …`. */
export function perRequest(before: Map<string, number>, after: Map<string, number>, requests: number): string {
  return [...after]
    .map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / requests] as const)
    .filter(([, share]) => share >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([name, share]) => `${name} ${share.toFixed(2)}`)
    .join(', ');
}

export async function redisUsedMemoryBytes(url: string): Promise<number> {
  const client = await rawClient(url);
  try {
    return Number(/^used_memory:(\d+)/m.exec(await client.info('memory'))?.[1] ?? Number.NaN);
  } finally {
    client.destroy();
  }
}
