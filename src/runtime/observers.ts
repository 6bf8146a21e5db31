/**
 * Who else hears of each written record, in this process and in full: the event as the machine got
 * it and the snapshot it reached, secrets included, so an observer must strip them (the Stately
 * inspector, observability/stately-inspector.ts; the live feed, observability/transition-feed.ts, which
 * keeps only named fields; the counts of records that end deleted, services/inspection/ended-records.ts). Observers
 * are handed to the services that own the records (app.ts), never found on the store; each must be
 * cheap when it has nothing to do (the feed while nobody watches: one flag).
 */
import type { MachineName } from '../../machines/index.js';
import type { Logger } from '../domain/logger.js';

export interface TransitionObserver {
  created(machine: MachineName, recordId: string, snapshot: ObservedSnapshot): void;
  /** `snapshot` is the one written; `before` the one it was computed from (the state the edge left). */
  transitioned(machine: MachineName, recordId: string, event: { type: string; [key: string]: unknown }, snapshot: ObservedSnapshot, before: ObservedSnapshot): void;
}

export interface ObservedSnapshot {
  value: unknown;
  context: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
}

/** A state as the inspection page names it: its name, or a nested state's value as JSON (services/inspection/record-inspection.ts). */
export const stateText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** An observer's failure is logged, never the request's: the write already happened. */
export function tellObservers(observers: readonly TransitionObserver[], tell: (observer: TransitionObserver) => void, logger: Logger): void {
  for (const observer of observers) {
    try {
      tell(observer);
    } catch (error) {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'transition observer failed');
    }
  }
}
