/**
 * A fake of src/domain/timers.ts driven by the test's clock: `advance(ms)` moves the clock and runs
 * every delay that falls due, in order, so a test waits 10 s without sleeping.
 */
import type { Timers } from '../../src/domain/timers.js';

export interface ManualTimers extends Timers {
  advance(ms: number): void;
  /** Delays not yet run nor cancelled. */
  readonly pending: number;
  /** Of those, the ones asked for with this delay: a particular timer, told apart from the others. */
  pendingOf(ms: number): number;
}

export function manualTimers(clock: { now: number }): ManualTimers {
  let sequence = 0;
  const due = new Map<number, { at: number; ms: number; callback: () => void }>();
  return {
    after(ms, callback) {
      const id = sequence++;
      due.set(id, { at: clock.now + ms, ms, callback });
      return () => {
        due.delete(id);
      };
    },
    advance(ms) {
      const end = clock.now + ms;
      for (;;) {
        const next = [...due.entries()].filter(([, timer]) => timer.at <= end).sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
        if (next === undefined) break;
        const [id, timer] = next;
        due.delete(id);
        clock.now = Math.max(clock.now, timer.at);
        timer.callback();
      }
      clock.now = end;
    },
    get pending() {
      return due.size;
    },
    pendingOf(ms) {
      return [...due.values()].filter((timer) => timer.ms === ms).length;
    },
  };
}
