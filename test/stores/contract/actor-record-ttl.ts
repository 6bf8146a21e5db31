/**
 * Contract: the TTL a grant or a flow gets at create (ARCHITECTURE.md, "Expiry is data": a code is
 * kept 10 minutes, a flow for the flow TTL), and how compare-and-set changes it.
 */
import { describe, expect, it } from 'vitest';
import type { MachineName } from '../../../machines/index.js';
import type { ActorRecords, Store } from '../../../src/stores/types.js';
import { envelope, eventually, letShortTtlPass, newId, SHORT_TTL_MS, type ContractContext } from './context.js';

/** Long enough never to pass during a test, on any clock. */
const LONG_TTL_MS = 60_000;

export function describeActorRecordTtl(
  label: string,
  records: (store: Store) => ActorRecords,
  machine: MachineName,
  context: ContractContext,
): void {
  const store = () => records(context.store);
  const make = (rev: number) => envelope(machine, rev);

  describe(`${label}: TTL at create`, () => {
    it('a record created with a ttl expires, and its id can then be created again', async () => {
      const id = newId();
      const first = make(1);
      expect(await store().create(id, first, SHORT_TTL_MS)).toBe(true);
      expect(await store().load(id)).toEqual(first);
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await store().load(id)).toBeNull());
      const again = make(1);
      expect(await store().create(id, again, null)).toBe(true);
      expect(await store().load(id)).toEqual(again);
    });

    it('a compare-and-set without ttl keeps the TTL given at create', async () => {
      const id = newId();
      expect(await store().create(id, make(1), SHORT_TTL_MS)).toBe(true);
      expect(await store().compareAndSet(id, 1, make(2))).toEqual({ ok: true });
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await store().load(id)).toBeNull());
    });

    it('a compare-and-set with a ttl replaces the TTL given at create', async () => {
      const id = newId();
      expect(await store().create(id, make(1), LONG_TTL_MS)).toBe(true);
      expect(await store().compareAndSet(id, 1, make(2), SHORT_TTL_MS)).toEqual({ ok: true });
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await store().load(id)).toBeNull());
    });

    it('a compare-and-set with ttl null removes the TTL given at create', async () => {
      const id = newId();
      expect(await store().create(id, make(1), SHORT_TTL_MS)).toBe(true);
      const second = make(2);
      expect(await store().compareAndSet(id, 1, second, null)).toEqual({ ok: true });
      await letShortTtlPass(context.clock);
      expect(await store().load(id)).toEqual(second);
    });
  });
}
