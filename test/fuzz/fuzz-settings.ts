/**
 * How long and from where the fuzz suite runs: a fixed seed and a number of runs per property small
 * enough for CI on a loaded 2-core box; `FUZZ_SEED` and `FUZZ_RUNS` (runs per property) override them
 * for longer runs by hand. A failure prints the seed and the shrunk counterexample, and the same seed
 * gives the same requests again.
 */
import type { Parameters } from 'fast-check';

const DEFAULT_SEED = 0x6a55;

function fromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(text)}`);
  return value;
}

const seed = fromEnv('FUZZ_SEED') ?? DEFAULT_SEED;
const runs = fromEnv('FUZZ_RUNS');

/** fast-check's parameters for a property whose default number of runs is `defaultRuns`. */
export function fuzzParameters<T>(defaultRuns: number): Parameters<T> {
  return { seed, numRuns: runs ?? defaultRuns, verbose: 0 };
}

/** A vitest timeout that grows with FUZZ_RUNS: `perRunMs` per run above a base. */
export function fuzzTimeout(defaultRuns: number, perRunMs: number): number {
  return 60_000 + (runs ?? defaultRuns) * perRunMs;
}
