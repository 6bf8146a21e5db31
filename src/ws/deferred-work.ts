/**
 * Work a command leaves for later, such as removing the caller's own refresh token 2 s after
 * `auth/delete_all_refresh_tokens` answered (`DELETE_CURRENT_TOKEN_DELAY`, ha-auth-spec §12.1).
 * Home Assistant runs it as a tracked task so that a shutdown still does it; here `runNow` does
 * the same when the server stops.
 */
import type { Logger } from '../domain/logger.js';
import type { Timers } from '../domain/timers.js';

export class DeferredWork {
  readonly #pending = new Map<() => Promise<void>, () => void>();

  constructor(
    private readonly timers: Timers,
    private readonly logger: Logger,
  ) {}

  schedule(ms: number, work: () => Promise<void>): void {
    const cancel = this.timers.after(ms, () => {
      this.#pending.delete(work);
      void this.#run(work);
    });
    this.#pending.set(work, cancel);
  }

  /** Runs everything still waiting, at once. */
  async runNow(): Promise<void> {
    const works = [...this.#pending.entries()];
    this.#pending.clear();
    await Promise.all(
      works.map(([work, cancel]) => {
        cancel();
        return this.#run(work);
      }),
    );
  }

  async #run(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.error({ err: error }, 'deferred work failed');
    }
  }
}
