/**
 * Reads `GET /metrics` the way Prometheus does: one sample per line, `name{label="value",…} number`.
 */
import type { TestServer } from '../support/test-server.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseSamples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[key as string] = value as string;
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/**
 * The store operations a scrape runs itself (the counts per state, with the last hour of the states
 * that delete their records): a test that counts a request's operations from the metrics leaves them out.
 */
export const SCRAPE_OPERATIONS: readonly string[] = ['countByState', 'endedRecords.lastHour'];

export async function scrape(server: Pick<TestServer, 'baseUrl'>): Promise<Sample[]> {
  const response = await fetch(`${server.baseUrl}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return parseSamples(await response.text());
}

/** The sample's value with exactly these labels among its own (0 when there is none, as Prometheus reads a missing counter). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found?.value ?? 0;
}
