/**
 * Envelopes as they sit in a row: JSON text (src/stores/envelope-codec.ts) and an expiry in epoch ms
 * or NULL.
 */
import type { TtlChange } from '../types.js';

/** The `expires_at` for a TTL given at create or set by compare-and-set. */
export function expiresAt(now: number, ttlMs: number | null): number | null {
  return ttlMs === null ? null : now + ttlMs;
}

/** How a compare-and-set treats `expires_at`: `keep` leaves the column as it is (TtlChange `undefined`). */
export function ttlUpdate(now: number, ttl: TtlChange): { keepTtl: 0 | 1; expiresAt: number | null } {
  return ttl === undefined ? { keepTtl: 1, expiresAt: null } : { keepTtl: 0, expiresAt: expiresAt(now, ttl) };
}
