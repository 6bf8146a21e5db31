/**
 * Walks the deployment's keys: a SCAN of each master, since a cluster splits the keyspace among its
 * masters (one server and Sentinel have one). For what reads the whole store at rest or once
 * (readContents, the sealing pass), never for a request.
 */
import type { ScanTarget } from './connection.js';
import type { Run } from './guard.js';

const SCAN_COUNT = 1_000;

/** Calls `visit` with each batch of keys matching `match` (a key may come twice: SCAN's guarantee). */
export type KeyWalk = (operation: string, match: string, visit: (keys: string[]) => Promise<void>) => Promise<void>;

/** `masters`: the connection's (connection.ts), one per master. */
export function keyWalk(run: Run, masters: () => Promise<ScanTarget[]>): KeyWalk {
  return async (operation, match, visit) => {
    for (const master of await masters()) {
      let cursor = '0';
      do {
        const step = await run(operation, () => master.scan(cursor, { MATCH: match, COUNT: SCAN_COUNT }));
        await visit(step.keys);
        cursor = step.cursor;
      } while (cursor !== '0');
    }
  };
}
