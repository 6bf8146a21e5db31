/**
 * Contract: opening login flows within a client's limit (types.ts FlowStore.openFor). Anyone may
 * start a flow, so the flows one client has open are bounded, across instances, and a slot frees as
 * soon as its flow is deleted (finished, aborted) or expires.
 */
import { describe, expect, it } from 'vitest';
import { envelope, eventually, letShortTtlPass, newId, placedId, SHORT_TTL_MS, type ContractContext } from './context.js';

/** Long enough never to pass during a test, on any clock. */
const LONG_TTL_MS = 60_000;

export function describeFlowLimits(context: ContractContext): void {
  const flows = () => context.store.flows;
  const client = (limit: number, key = `client-${newId()}`) => ({ key, limit });
  // A flow's id is placed with its client's flows, as the service mints it (Store.placement).
  const near = (at: { key: string }) => placedId(context.store, at.key);
  const open = (at: { key: string; limit: number }, id = near(at), ttlMs = LONG_TTL_MS) => flows().openFor(id, envelope('loginFlow', 1), ttlMs, at);

  describe('flows: opened within a client\'s limit', () => {
    it('opens flows up to the limit, then refuses without writing, saying when a slot frees; other clients are not affected', async () => {
      const alice = client(3);
      for (let i = 0; i < 3; i += 1) expect(await open(alice)).toEqual({ opened: true });
      const refusedId = near(alice);
      const refused = await open(alice, refusedId);
      expect(refused).toMatchObject({ opened: false, reason: 'limit' });
      const retryAfterMs = refused.opened || refused.reason !== 'limit' ? 0 : refused.retryAfterMs;
      expect(retryAfterMs).toBeGreaterThan(LONG_TTL_MS - 10_000);
      expect(retryAfterMs).toBeLessThanOrEqual(LONG_TTL_MS);
      expect(await flows().load(refusedId)).toBeNull();
      expect(await open(client(3))).toEqual({ opened: true });
    });

    it('stores what it opened as create does, and refuses a taken id', async () => {
      const erin = client(5);
      const id = near(erin);
      const first = envelope('loginFlow', 1);
      expect(await flows().openFor(id, first, LONG_TTL_MS, erin)).toEqual({ opened: true });
      expect(await flows().load(id)).toEqual(first);
      expect(await open(erin, id)).toEqual({ opened: false, reason: 'taken' });
      expect(await flows().load(id)).toEqual(first);
    });

    it('frees a slot as soon as its flow is deleted', async () => {
      const bob = client(2);
      const ids = [near(bob), near(bob)];
      for (const id of ids) await open(bob, id);
      expect(await open(bob)).toMatchObject({ opened: false });
      await flows().delete(ids[0] ?? '');
      expect(await open(bob)).toEqual({ opened: true });
      expect(await open(bob)).toMatchObject({ opened: false });
    });

    it('frees a slot when its flow expires', async () => {
      const carol = client(1);
      expect(await open(carol, near(carol), SHORT_TTL_MS)).toEqual({ opened: true });
      expect(await open(carol)).toMatchObject({ opened: false, reason: 'limit' });
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await open(carol)).toEqual({ opened: true }));
    });

    it('lets exactly `limit` of many racing openings through', async () => {
      const dave = client(3);
      const outcomes = await Promise.all(Array.from({ length: 12 }, () => open(dave)));
      expect(outcomes.filter((outcome) => outcome.opened)).toHaveLength(3);
    });
  });
}
