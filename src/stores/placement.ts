/** Store.placement (types.ts RecordPlacement): anywhere, or in the bucket a function names. */
import type { RecordPlacement } from './types.js';

/** One Redis server and SQLite: every write reaches every record. */
export const anywhere: RecordPlacement = { near: (_anchor, mint) => mint() };

/**
 * Attempts before giving up: a random id lands in a given one of 16 buckets with p = 1/16, so
 * 1,000 misses in a row happen with p ≈ 1e-28; giving up then means `mint` or `bucketOf` is broken.
 */
const MAX_ATTEMPTS = 1_000;

export function placementBy(bucketOf: (text: string) => number): RecordPlacement {
  return {
    near(anchor, mint, placedBy = (minted) => minted) {
      const wanted = bucketOf(anchor);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const minted = mint();
        if (bucketOf(placedBy(minted)) === wanted) return minted;
      }
      throw new Error(`nothing minted landed in bucket ${wanted} after ${MAX_ATTEMPTS} attempts`);
    },
  };
}
