/**
 * Group commit: the writes of one turn of the event loop commit in one transaction, with one fsync
 * (`synchronous = FULL`, open-database.ts), and none of them is answered before that commit.
 *
 * A write method does not run its statements when called: it queues a *unit* (a function that runs
 * them synchronously and returns the method's result) and returns a promise. The first unit queued
 * schedules the flush with `setImmediate`, which Node runs once the poll phase has run every I/O
 * callback that was ready (https://nodejs.org/en/learn/asynchronous-work/event-loop-timers-and-nexttick):
 * so the writes of every request whose bytes arrived together, and of every continuation those
 * requests' microtasks reached, share the batch. A microtask would flush after the first of those
 * callbacks, one request per batch; a timer would add latency for nothing. The latency added is at
 * most the rest of one turn, which the fsync saved pays back as soon as two writes share a batch.
 *
 * The flush: `BEGIN IMMEDIATE`, each unit in the order queued inside a savepoint of its own, then
 * `COMMIT`; only then is each promise settled, with its unit's own result or error. A unit that
 * throws (a constraint, a bad revision's RangeError) rolls back its savepoint and rejects alone; a
 * failed COMMIT, or an error after which SQLite rolled the whole transaction back (I/O error, disk
 * full), rejects every unit of the batch, none of which is then stored.
 *
 * Reads keep issue order: a read called while writes are queued joins the batch behind them (so a
 * caller's compare-and-set then load sees its write) and, like them, settles after the commit, so no
 * answer can rest on a write that is not yet durable. A read with nothing queued runs at once.
 *
 * A unit runs at the time it was asked: it gets the clock's `now` of its call, not of the flush, so
 * TTLs and expiry read as they did when every call ran at once (a test's clock moved after a request
 * was answered must not reach the audit append that request left queued).
 *
 * The flush is I/O scheduling, not time: `setImmediate` comes from `node:timers`, which a test's fake
 * timers (they replace the globals) leave alone.
 */
import { clearImmediate, setImmediate } from 'node:timers';
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';

/** Synchronous statements, given the clock's `now` of the call that queued them. */
export type Unit<T> = (now: number) => T;

export interface GroupCommit {
  /** Queues `unit` for the next commit; settles with its result once that commit is durable. */
  write<T>(unit: Unit<T>): Promise<T>;
  /** Runs `unit` now when no write is queued, else behind the queued writes, settling after their commit. */
  read<T>(unit: Unit<T>): Promise<T>;
  /** Commits what is queued, now (store.close() does before closing). */
  flush(): void;
}

type Outcome<T> = { threw: false; value: T } | { threw: true; error: unknown };
type BatchOutcome = { failed: false } | { failed: true; error: unknown };

interface Queued {
  /** Writes run in a savepoint; a read changes nothing there is to roll back. */
  readonly write: boolean;
  /** Runs the unit's statements and keeps what they returned or threw. */
  run(): Outcome<unknown>;
  /** Settles the promise: with the unit's own outcome, or with the batch's failure. */
  settle(batch: BatchOutcome): void;
}

function queued<T>(unit: Unit<T>, now: number, write: boolean, resolve: (value: T) => void, reject: (error: unknown) => void): Queued {
  // Made only for a unit left unrun: an Error captures its stack when made, which cost every write
  // about 8 % of an embedded refresh grant's CPU.
  let outcome: Outcome<T> | undefined;
  return {
    write,
    run: () => {
      try {
        outcome = { threw: false, value: unit(now) };
      } catch (error) {
        outcome = { threw: true, error };
      }
      return outcome;
    },
    settle: (batch) => {
      if (batch.failed) reject(batch.error);
      else if (outcome === undefined) reject(new Error('the unit never ran'));
      else if (outcome.threw) reject(outcome.error);
      else resolve(outcome.value);
    },
  };
}

export function groupCommit(db: Database, clock: Clock): GroupCommit {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const savepoint = db.prepare('SAVEPOINT unit');
  const release = db.prepare('RELEASE unit');
  const rollbackTo = db.prepare('ROLLBACK TO unit');
  let queue: Queued[] = [];
  let scheduled: NodeJS.Immediate | undefined;

  /** Runs one unit inside the open transaction; throws only when the whole transaction is lost. */
  const runUnit = (unit: Queued) => {
    if (unit.write) savepoint.run();
    const outcome = unit.run();
    if (!outcome.threw) {
      if (unit.write) release.run();
      return;
    }
    // SQLite ends the transaction itself after some errors (SQLITE_FULL, SQLITE_IOERR, …): the units
    // before this one went with it, so the batch fails, with that error.
    if (!db.inTransaction) throw outcome.error;
    if (!unit.write) return;
    rollbackTo.run();
    release.run();
  };

  const flush = () => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    let outcome: BatchOutcome = { failed: false };
    try {
      begin.run();
      for (const unit of batch) runUnit(unit);
      commit.run();
    } catch (error) {
      outcome = { failed: true, error };
      // A ROLLBACK that fails too leaves the connection in a state nothing here can vouch for: its
      // error goes on up (out of the immediate: the process ends), once every caller has its answer.
      if (db.open && db.inTransaction) rollback.run();
    } finally {
      for (const unit of batch) unit.settle(outcome);
    }
  };

  const enqueue = <T>(unit: Unit<T>, write: boolean) =>
    new Promise<T>((resolve, reject) => {
      queue.push(queued(unit, clock(), write, resolve, reject));
      scheduled ??= setImmediate(flush);
    });

  return {
    write: (unit) => enqueue(unit, true),
    read: (unit) => {
      if (queue.length > 0) return enqueue(unit, false);
      // The executor runs now; what the unit throws rejects the promise.
      return new Promise((resolve) => {
        resolve(unit(clock()));
      });
    },
    flush,
  };
}
