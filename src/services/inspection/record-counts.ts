/**
 * Live records per state, for the inspection page (`inspect/counts`, `inspect/subscribe`) and the
 * `hass_auth_records` gauge. A count reads the per-state counts the writes keep (`countByState`,
 * O(states)), one store round trip; still, this instance counts at most once per COUNT_CACHE_MS
 * whoever asks, so that a page per admin and every scraper cost one count: every caller meanwhile
 * gets the same answer, and callers arriving during a count wait for that count.
 *
 * Watching polls: while anyone watches, the counts are read every COUNT_POLL_MS and each watcher
 * hears them when they differ from what it heard last. Polling, rather than pushing on audit
 * appends, because a push would see only this instance's writes (other instances write to the same
 * store) and never a record that ended by its TTL, which writes nothing; one poll serves every
 * watcher of the instance, and nobody watching costs nothing.
 *
 * Every state of every machine is present, with 0 when it has no record, so that a page or a
 * Prometheus series shows an empty state rather than no state; a state the machines no longer have
 * (an old record) follows them.
 *
 * Beside the live counts, the last hour's count of each state whose records are deleted as they reach
 * it (services/inspection/ended-records.ts), read in the same count: such a state's live count is always about 0.
 */
import { machines, type MachineName } from '../../../machines/index.js';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import type { Timers } from '../../domain/timers.js';
import type { RecordCounts, Store } from '../../stores/types.js';
import { DELETED_ON_REACHING } from './ended-records.js';

export const COUNT_CACHE_MS = 2_000;
export const COUNT_POLL_MS = 2_000;

/** The records that reached each deleting state in the last hour (ended-records.ts): machine → state → count. */
export type LastHourCounts = Partial<Record<MachineName, Record<string, number>>>;

export interface StateCounts {
  /** Live records per state of every machine. */
  live: RecordCounts;
  lastHour: LastHourCounts;
}

export interface RecordCountService {
  /** The counts, at most COUNT_CACHE_MS old. */
  current(): Promise<StateCounts>;
  /** Calls `listener` with the counts soon, then whenever they change; returns the function that stops. */
  watch(listener: (counts: StateCounts) => void): () => void;
  /** Ends every watch (the app is closing). */
  stop(): void;
}

interface Watcher {
  listener: (counts: StateCounts) => void;
  /** What it heard last, as JSON. */
  heard: string | null;
}

/** Every machine, with every top-level state of its definition first, in definition order. */
export function withEveryState(counts: RecordCounts): RecordCounts {
  const full = {} as RecordCounts;
  for (const name of Object.keys(machines) as MachineName[]) {
    const known = Object.keys(machines[name].machine.root.states);
    const found = counts[name] ?? {};
    full[name] = Object.fromEntries([
      ...known.map((state) => [state, found[state] ?? 0] as const),
      ...Object.keys(found).filter((state) => !known.includes(state)).sort().map((state) => [state, found[state] ?? 0] as const),
    ]);
  }
  return full;
}

function lastHourCounts(ended: Array<{ machine: MachineName; state: string; count: number }>): LastHourCounts {
  const counts: LastHourCounts = {};
  for (const { machine, state, count } of ended) counts[machine] = { ...counts[machine], [state]: count };
  return counts;
}

export function recordCountService(store: Pick<Store, 'countByState' | 'endedRecords'>, clock: Clock, timers: Timers, logger: Logger): RecordCountService {
  let cached: { at: number; counts: StateCounts } | null = null;
  let counting: Promise<StateCounts> | null = null;
  const watchers = new Set<Watcher>();
  let cancelPoll: (() => void) | null = null;
  let failing = false;
  let stopped = false;

  function current(): Promise<StateCounts> {
    if (cached !== null && clock() - cached.at < COUNT_CACHE_MS) return Promise.resolve(cached.counts);
    if (counting === null) {
      const at = clock();
      counting = Promise.all([store.countByState(), store.endedRecords.lastHour(DELETED_ON_REACHING, at)])
        .then(([live, ended]) => {
          cached = { at, counts: { live: withEveryState(live), lastHour: lastHourCounts(ended) } };
          return cached.counts;
        })
        .finally(() => {
          counting = null;
        });
    }
    return counting;
  }

  async function tell(watcher: Watcher): Promise<void> {
    let counts: StateCounts;
    try {
      counts = await current();
      failing = false;
    } catch (error) {
      // Logged once per outage: the store's own metrics count every failure.
      if (!failing) logger.warn({ err: error }, 'record counts: the store did not answer');
      failing = true;
      return;
    }
    const text = JSON.stringify(counts);
    if (!watchers.has(watcher) || text === watcher.heard) return;
    watcher.heard = text;
    watcher.listener(counts);
  }

  function schedulePoll(): void {
    if (cancelPoll !== null || stopped || watchers.size === 0) return;
    cancelPoll = timers.after(COUNT_POLL_MS, () => {
      cancelPoll = null;
      void Promise.all([...watchers].map(tell)).then(schedulePoll);
    });
  }

  return {
    current,
    watch(listener) {
      const watcher: Watcher = { listener, heard: null };
      watchers.add(watcher);
      void tell(watcher);
      schedulePoll();
      return () => {
        watchers.delete(watcher);
        if (watchers.size === 0) {
          cancelPoll?.();
          cancelPoll = null;
        }
      };
    },
    stop() {
      stopped = true;
      watchers.clear();
      cancelPoll?.();
      cancelPoll = null;
    },
  };
}
