/**
 * Bounds a wait. node-redis has no timeout for a command already written to the socket, so a Redis
 * that stops answering without closing the connection (a network partition, a stopped process)
 * would hold a request until TCP gives up, minutes later; the adapter gives up first and answers 503.
 */

/**
 * Waits for `work` until the time `dueAt()` returns (a `performance.now()` value), read again
 * whenever the timer fires, so that a due time that moved on (guard.ts: Redis answered something
 * meanwhile) extends the wait.
 */
export async function withMovingDeadline<T>(work: Promise<T>, dueAt: () => number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let deferred: NodeJS.Immediate | undefined;
  const expired = new Promise<never>((_, reject) => {
    const arm = () => {
      // Timers run before I/O in each turn of the event loop: after the loop was blocked past the
      // due time (a long synchronous task), an answer already waiting on the socket would lose to
      // the timer. setImmediate runs after that turn's I/O, so such an answer still wins.
      timer = setTimeout(() => {
        deferred = setImmediate(() => (performance.now() >= dueAt() ? reject(onTimeout()) : arm()));
      }, Math.max(0, dueAt() - performance.now()));
    };
    arm();
  });
  try {
    // The race subscribes to `work`, so its late rejection is handled, not an unhandled rejection.
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    clearImmediate(deferred);
  }
}

/** Waits for `work` at most `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  const dueAt = performance.now() + ms;
  return withMovingDeadline(work, () => dueAt, onTimeout);
}
