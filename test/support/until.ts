/**
 * Polls `probe` until it gives a value, for harnesses that wait on processes they started (a Redis
 * topology settling): outside vitest too (the bench uses them), so not `vi.waitFor`. A probe that
 * throws counts as not yet; its last error is named if time runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs: number): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${what} not within ${timeoutMs} ms${last === undefined ? '' : ` (${last instanceof Error ? last.message : JSON.stringify(last)})`}`);
    }
    await sleep(intervalMs);
  }
}
