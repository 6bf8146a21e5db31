/**
 * The embedded store's transition channel (types.ts TransitionChannel). The embedded store serves
 * one process (ARCHITECTURE.md, "Stores"), so "every instance" is this one: publishing calls the
 * watchers directly, and nobody watching means nothing is built or sent.
 */
import type { Logger } from '../../domain/logger.js';
import type { TransitionChannel, TransitionNotice } from '../types.js';

type Watcher = (notice: TransitionNotice) => void;

export function inProcessTransitionChannel(logger?: Logger): TransitionChannel {
  const watchers = new Set<{ watcher: Watcher }>();
  return {
    wanted: () => watchers.size > 0,
    publish(notice) {
      // A copy: a watcher may stop (itself or another) while being called.
      for (const { watcher } of [...watchers]) {
        try {
          watcher(notice);
        } catch (error) {
          logger?.warn({ err: error instanceof Error ? error.message : String(error) }, 'transition watcher failed');
        }
      }
    },
    watch(watcher) {
      // An entry per call, so that one function watching twice is two independent watches.
      const entry = { watcher };
      watchers.add(entry);
      return () => {
        watchers.delete(entry);
      };
    },
  };
}
