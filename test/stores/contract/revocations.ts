/**
 * Contract: the revocation bus that closes sockets on every instance (ARCHITECTURE.md, "Tokens":
 * revoking a refresh token kills its access tokens at once, everywhere), and ping.
 *
 * Delivery may be asynchronous (Redis pub/sub), so the suite waits for a later publish to arrive
 * before asserting what did not: messages on one channel arrive in the order they were published.
 */
import { describe, expect, it } from 'vitest';
import { eventually, newId, type ContractContext } from './context.js';

/** Records the ids a listener got, keeping only those this test published (a shared Redis carries others). */
function recorder(ours: Set<string>) {
  const received: string[] = [];
  const listener = (id: string) => {
    if (ours.has(id)) received.push(id);
  };
  return { received, listener };
}

export function describeRevocationBus(context: ContractContext): void {
  const bus = () => context.store.revocations;

  describe('revocation bus', () => {
    it('delivers each published id once to a subscriber', async () => {
      const [a, b, last] = [newId(), newId(), newId()];
      const seen = recorder(new Set([a, b, last]));
      bus().subscribe(seen.listener);
      await bus().publish([a, b]);
      await bus().publish([last]);
      await eventually(async () => expect(seen.received).toContain(last));
      expect(seen.received.sort()).toEqual([a, b, last].sort());
    });

    it('delivers to every subscriber', async () => {
      const id = newId();
      const first = recorder(new Set([id]));
      const second = recorder(new Set([id]));
      bus().subscribe(first.listener);
      bus().subscribe(second.listener);
      await bus().publish([id]);
      await eventually(async () => {
        expect(first.received).toEqual([id]);
        expect(second.received).toEqual([id]);
      });
    });

    it('stops delivering to a listener once unsubscribed', async () => {
      const id = newId();
      const gone = recorder(new Set([id]));
      const staying = recorder(new Set([id]));
      const unsubscribe = bus().subscribe(gone.listener);
      bus().subscribe(staying.listener);
      unsubscribe();
      await bus().publish([id]);
      await eventually(async () => expect(staying.received).toEqual([id]));
      expect(gone.received).toEqual([]);
    });

    it('does not report missed messages while the subscription holds, first connection included', async () => {
      const id = newId();
      const seen = recorder(new Set([id]));
      let missed = 0;
      bus().onMissedMessages(() => (missed += 1));
      bus().subscribe(seen.listener);
      await bus().publish([id]);
      await eventually(async () => expect(seen.received).toEqual([id]));
      expect(missed).toBe(0);
    });
  });

  describe('ping', () => {
    it('resolves while the store answers', async () => {
      await expect(context.store.ping()).resolves.toBeUndefined();
    });
  });
}
