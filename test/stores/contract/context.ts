/** What every part of the contract suite shares: the test's store and clock, ids, envelopes, timing. */
import { vi } from 'vitest';
import { newId } from '../../../src/domain/ids.js';
import type { MachineName } from '../../../machines/index.js';
import type { ReadableStore } from '../../../src/stores/store-contents.js';
import type { Envelope, RefreshTokenKeys } from '../../../src/stores/types.js';
import { sha256Hex } from '../../../src/domain/ids.js';
import type { TestClock } from '../contract.js';

export interface ContractContext {
  readonly store: ReadableStore;
  readonly clock: TestClock;
}

/** Short enough for a Redis harness that advances by waiting, long enough for a round trip or two. */
export const SHORT_TTL_MS = 50;
/** How far to move the clock so that SHORT_TTL_MS has surely passed (the suite never moves it more). */
export const PAST_SHORT_TTL_MS = 100;

/** 32 hex characters, the shape of Home Assistant's ids, unique across tests sharing one Redis. */
export { newId };

/** A small envelope; `note` makes two envelopes of the same rev tell apart. */
export function envelope(machine: MachineName, rev: number, note = newId()): Envelope {
  return { machine, v: 1, rev, snapshot: { value: 'issued', context: { note }, status: 'active' } };
}

/** Polls an assertion until it holds: TTLs on a server clock end shortly after, not exactly at, the deadline. */
export async function eventually(assertion: () => Promise<void>): Promise<void> {
  await vi.waitFor(assertion, { timeout: 2_000, interval: 10 });
}

export async function letShortTtlPass(clock: TestClock): Promise<void> {
  await clock.advance(PAST_SHORT_TTL_MS);
}

/** An id placed as the services place one joined by a write to `anchor` (Store.placement: a Redis Cluster's bucket). */
export function placedId(store: ReadableStore, anchor: string): string {
  return store.placement.near(anchor, newId);
}

/**
 * A token's keys as the services mint them (Store.placement): its id near `anchor` when given (the
 * record one write joins it to), its secret's hash with its id.
 */
export function mintedKeys(store: ReadableStore, userId = newId(), anchor?: string): RefreshTokenKeys {
  const id = anchor === undefined ? newId() : placedId(store, anchor);
  return { id, userId, tokenHash: sha256Hex(store.placement.near(id, newId, sha256Hex)) };
}
