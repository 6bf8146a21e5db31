/**
 * Delays enter the system like time does (clock.ts), so that tests fire them by moving a fake clock
 * instead of sleeping: the WebSocket's 10 s to authenticate, its write-peak check, its heartbeat,
 * the 2 s before `auth/delete_all_refresh_tokens` removes the caller's own token, a socket's check
 * when its refresh token is due to expire (up to 90 days away).
 */
export interface Timers {
  /** Runs `callback` once, `ms` from now (any length); the returned function cancels it. */
  after(ms: number, callback: () => void): () => void;
}

/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export const systemTimers: Timers = {
  after(ms, callback) {
    let timer: NodeJS.Timeout;
    const wait = (left: number) => {
      // unref: a pending delay alone must not keep a stopping process alive (shutdown runs what is due).
      timer = setTimeout(() => (left > MAX_TIMEOUT_MS ? wait(left - MAX_TIMEOUT_MS) : callback()), Math.min(left, MAX_TIMEOUT_MS)).unref();
    };
    wait(Math.max(ms, 0));
    return () => clearTimeout(timer);
  },
};
