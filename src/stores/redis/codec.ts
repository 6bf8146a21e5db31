/**
 * What the adapter writes as strings and reads back, besides envelopes (src/stores/envelope-codec.ts):
 * TTL arguments of the scripts, and users and credentials, read back as written since only this
 * adapter writes them.
 */
import type { TtlChange } from '../types.js';
import type { Credential, User } from '../../domain/models.js';

/** Whole milliseconds for PEXPIRE. Zero or less expires the record at once, as a past expiry should. */
function wholeMs(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`a TTL must be a finite number of ms, got ${ms}`);
  return String(Math.ceil(ms));
}

/** A create's TTL as a script argument: '' for none. */
export function createTtlArgument(ttlMs: number | null): string {
  return ttlMs === null ? '' : wholeMs(ttlMs);
}

/** A TtlChange as a script argument: 'keep' (undefined: KEEPTTL), 'persist' (null), or ms. */
export function ttlChangeArgument(ttl: TtlChange): string {
  if (ttl === undefined) return 'keep';
  if (ttl === null) return 'persist';
  return wholeMs(ttl);
}

/** Only `users.ts` writes this JSON, so it is a User by construction. */
export const decodeUser = (text: string): User => JSON.parse(text) as User;

/** Only `credentials.ts` writes this JSON, so it is a Credential by construction. */
export const decodeCredential = (text: string): Credential => JSON.parse(text) as Credential;
