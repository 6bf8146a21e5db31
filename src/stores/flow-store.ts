/** Part of the store contract (types.ts): login flows, which anyone may start. */
import type { ActorRecords, Envelope } from './types.js';

/** Login flows, keyed by flow id. Anyone may start one, so `openFor` bounds the flows a client has open, across instances. */
export interface FlowStore extends ActorRecords {
  /**
   * `create`, only while `client.key` (the client's address, as the service names it) has fewer than
   * `client.limit` live flows opened this way (deleted and expired ones stop counting): one step.
   */
  openFor(id: string, envelope: Envelope, ttlMs: number, client: { key: string; limit: number }): Promise<FlowOpening>;
}

/** `retryAfterMs`: until the client's oldest open flow expires (> 0). */
export type FlowOpening = { opened: true } | { opened: false; reason: 'taken' } | { opened: false; reason: 'limit'; retryAfterMs: number };
