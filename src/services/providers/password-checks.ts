/**
 * A bounded queue in front of bcrypt (issue 7 item 5). A cost-12 check takes about 0.3 s of CPU, so
 * a box checks only a few passwords a second; without a bound, a password-guessing flood piles up
 * bcrypt work on the libuv thread pool and on every core, and token refreshes, which need no
 * bcrypt, starve behind it.
 *
 * - At most `concurrency` checks run at once. The default leaves a core for the event loop (the
 *   refreshes, the HTTP parsing) and a libuv thread for the rest of the pool's users (DNS lookups of
 *   redirect discovery, file system), since @node-rs/bcrypt runs on that pool:
 *   max(1, min(cores − 1, pool threads − 1)), i.e. 1 on 2 cores, 3 with the default pool of 4.
 * - At most `queueSize` wait, first come first served; the default, 4 × concurrency, answers the
 *   last one within about 5 checks (≈ 1.5 s at cost 12).
 * - Anyone beyond is refused at once, without touching bcrypt: PasswordChecksBusyError, which the
 *   HTTP views answer 429 with `Retry-After` (RFC 6585 §4) and WebSocket commands with an error.
 *   Every check goes through the queue, an unknown username's dummy check too, so neither the time
 *   taken nor a refusal tells whether a username exists.
 *
 * No library: the semaphore with a bounded wait list is the few lines below.
 */
import { availableParallelism } from 'node:os';
import { CodedError } from '../../domain/errors.js';

export interface PasswordCheckLimits {
  /** Checks running at once (≥ 1). */
  concurrency: number;
  /** Checks waiting for a slot (≥ 0); more are refused. */
  queueSize: number;
}

/** What the queue tells the metrics. */
export interface PasswordCheckObserver {
  /** A check started after waiting this long for a slot (0 when one was free). */
  started(waitedSeconds: number): void;
  /** An attempt refused because the wait list was full. */
  refused(): void;
}

export interface PasswordChecks {
  /** Runs `check` once a slot is free; rejects with PasswordChecksBusyError at once when the wait list is full. */
  run<T>(check: () => Promise<T>): Promise<T>;
}

/**
 * Refused without a bcrypt check: the same answer for any username, known or not
 * (`password_checks_busy`, whose `Retry-After` is a second: a wait slot frees as soon as one running
 * check ends, ≈ 0.3 s at cost 12).
 */
export class PasswordChecksBusyError extends CodedError<'password_checks_busy'> {
  override name = 'PasswordChecksBusyError';

  constructor() {
    super('password_checks_busy');
  }
}

/** The machine's side of the defaults: its cores, and libuv's thread pool (UV_THREADPOOL_SIZE, default 4). */
export interface MachineSize {
  cores: number;
  poolThreads: number;
}

export function thisMachine(env: NodeJS.ProcessEnv = process.env): MachineSize {
  const poolThreads = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  return { cores: availableParallelism(), poolThreads: Number.isInteger(poolThreads) && poolThreads > 0 ? poolThreads : 4 };
}

/** The configured limits (auth-config.ts `password_checks`), each one the default when not given. */
export function passwordCheckLimits(
  configured: { concurrency: number | null; queueSize: number | null },
  machine: MachineSize = thisMachine(),
): PasswordCheckLimits {
  const concurrency = configured.concurrency ?? Math.max(1, Math.min(machine.cores - 1, machine.poolThreads - 1));
  return { concurrency, queueSize: configured.queueSize ?? 4 * concurrency };
}

const noObserver: PasswordCheckObserver = { started: () => {}, refused: () => {} };

/** `now` in milliseconds (performance.now by default; tests move their own). */
export function passwordCheckQueue(
  { concurrency, queueSize }: PasswordCheckLimits,
  { now = () => performance.now(), observer = noObserver }: { now?: () => number; observer?: PasswordCheckObserver } = {},
): PasswordChecks {
  let running = 0;
  const waiting: Array<() => void> = [];

  async function acquire(): Promise<void> {
    if (running < concurrency) {
      running++;
      observer.started(0);
      return;
    }
    if (waiting.length >= queueSize) {
      observer.refused();
      throw new PasswordChecksBusyError();
    }
    const since = now();
    await new Promise<void>((resolve) => waiting.push(resolve));
    observer.started((now() - since) / 1000);
  }

  function release(): void {
    // The slot passes straight to the first waiter, so a newcomer cannot take it in between.
    const next = waiting.shift();
    if (next === undefined) running--;
    else next();
  }

  return {
    async run(check) {
      await acquire();
      try {
        return await check();
      } finally {
        release();
      }
    },
  };
}
