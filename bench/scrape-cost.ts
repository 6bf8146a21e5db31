/**
 * Scenario `scrape` (issue 15): what a scrape of `/metrics` costs with few and with many stored
 * records. The scrape's `hass_auth_records` reads `countByState`, which the writes keep per state
 * (stores/redis/record-counts.ts), so its cost must not follow the number of records: the target is
 * a scrape with a million tokens within 2x of one with a thousand.
 *
 * Timed twice over: GET /metrics on the service, each scrape after the service's count cache has
 * lapsed (services/inspection/record-counts.ts COUNT_CACHE_MS) so that each one counts, and `countByState` on the
 * bench's own store, the same Redis, without HTTP and the rest of the exposition around it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { COUNT_CACHE_MS } from '../src/services/inspection/record-counts.js';
import type { Store } from '../src/stores/types.js';

const SCRAPES = 3;
const COUNTS = 9;

export interface ScrapeCost {
  /** Refresh tokens the count found, in every state. */
  tokens: number;
  /** Median ms of a GET /metrics that counted. */
  scrapeMs: number;
  /** Median ms of one `countByState` from another client. */
  countMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

export async function measureScrape(baseUrl: string, store: Store): Promise<ScrapeCost> {
  // The first count may fill the per-state sets from records written before them (once per deployment).
  const counts = await store.countByState();
  const tokens = Object.values(counts.refreshToken).reduce((sum, n) => sum + n, 0);
  const scrapes: number[] = [];
  for (let n = 0; n < SCRAPES; n++) {
    await sleep(COUNT_CACHE_MS + 100);
    scrapes.push(await timed(async () => (await fetch(`${baseUrl}/metrics`)).text()));
  }
  const countTimes: number[] = [];
  for (let n = 0; n < COUNTS; n++) countTimes.push(await timed(() => store.countByState()));
  return { tokens, scrapeMs: median(scrapes), countMs: median(countTimes) };
}
