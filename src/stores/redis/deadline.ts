/**
 * Bounds a wait. node-redis has no timeout for a command already written to the socket, so a Redis
 * that stops answering without closing the connection (a network partition) would hold a request
 * until TCP gives up, minutes later; the adapter gives up first and answers 503.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    // The race subscribes to `work`, so its late rejection is handled, not an unhandled rejection.
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
