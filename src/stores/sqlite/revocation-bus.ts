/**
 * The embedded store's revocation bus. The embedded store serves one process (ARCHITECTURE.md,
 * "Stores"), so "every instance" is this one: publishing calls the listeners directly.
 *
 * A listener closes the sockets of a revoked token; one that throws must not keep the others from
 * closing theirs, nor fail the revocation that was already written. Its error becomes a process
 * warning, which the logs show.
 */
import type { RevocationBus } from '../types.js';

type Listener = (refreshTokenId: string) => void;

export function inProcessRevocationBus(): RevocationBus {
  const listeners = new Set<Listener>();

  const deliver = (id: string) => {
    // A copy: a listener may unsubscribe (itself or another) while being called.
    for (const listener of [...listeners]) {
      try {
        listener(id);
      } catch (error) {
        process.emitWarning(error instanceof Error ? error : String(error), 'RevocationListenerWarning');
      }
    }
  };

  return {
    // Each id once per publish (types.ts), even when the caller lists it twice.
    publish: async (refreshTokenIds) => {
      for (const id of new Set(refreshTokenIds)) deliver(id);
    },
    subscribe: (listener) => {
      // A wrapper per subscription, so subscribing one function twice gives two independent subscriptions.
      const subscription: Listener = (id) => listener(id);
      listeners.add(subscription);
      return () => {
        listeners.delete(subscription);
      };
    },
    // Publishing calls the listeners directly, in this process: there is no subscription to
    // interrupt, so no message can be missed and this never fires.
    onMissedMessages: () => () => undefined,
  };
}
