/**
 * Garbage collection of expired envelopes (ARCHITECTURE.md, "Expiry is data": the TTL only
 * collects garbage). Reads already treat an expired row as absent; the sweep only keeps the file
 * from growing with dead codes, flows, tombstones, old failed-login counters, held audit entries and
 * minutes of ended records out of the last hour.
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';
import { ENVELOPE_TABLES } from './schema.js';

export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** A function that deletes every row whose `expires_at <= now` and returns how many went. */
export function expiredRowsSweep(db: Database): (now: number) => number {
  const statements = [
    ...ENVELOPE_TABLES.map((table) => db.prepare<[number]>(`DELETE FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`)),
    // Counters of failed logins whose window has passed (bans have no expiry).
    db.prepare<[number]>('DELETE FROM login_failures WHERE expires_at <= ?'),
    // Held audit entries whose record kept none in time (a login flow nobody went on with).
    db.prepare<[number]>('DELETE FROM audit_held WHERE expires_at <= ?'),
    // Minutes of ended records older than the last hour (ended-records.ts).
    db.prepare<[number]>('DELETE FROM ended_records WHERE expires_at <= ?'),
  ];
  return db.transaction((now: number) => statements.reduce((removed, statement) => removed + statement.run(now).changes, 0));
}

/** Sweeps every `intervalMs`; returns the function that stops it. */
export function startSweeper(db: Database, clock: Clock, intervalMs: number): () => void {
  const sweep = expiredRowsSweep(db);
  const timer = setInterval(() => {
    sweep(clock());
  }, intervalMs);
  // The sweeper must never be what keeps the process alive at shutdown.
  timer.unref();
  return () => clearInterval(timer);
}
