/**
 * Who else hears of each written record, in this process and in full: the event as the machine got
 * it and the snapshot it reached, secrets included, so an observer must strip them (the Stately
 * inspector, observability/stately-inspector.ts). Observers are handed to the services that own
 * the records (app.ts), never found on the store: without any, a write pays one length check.
 */
import type { MachineName } from '../../machines/index.js';
import type { Logger } from '../domain/logger.js';

export interface TransitionObserver {
  created(machine: MachineName, recordId: string, snapshot: ObservedSnapshot): void;
  transitioned(machine: MachineName, recordId: string, event: { type: string; [key: string]: unknown }, snapshot: ObservedSnapshot): void;
}

export interface ObservedSnapshot {
  value: unknown;
  context: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
}

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
