/**
 * Contract: load, create-if-absent and compare-and-set on `rev`, shared by grants, flows (login and
 * MFA setup) and refresh tokens (types.ts `ActorRecords`; ARCHITECTURE.md, "Every write is a compare-and-set").
 */
import { describe, expect, it } from 'vitest';
import type { MachineName } from '../../../machines/index.js';
import type { ActorRecords, Envelope, RefreshTokenKeys, Store } from '../../../src/stores/types.js';
import { envelope, eventually, letShortTtlPass, newId, SHORT_TTL_MS, type ContractContext } from './context.js';
import { sha256Hex } from '../../../src/domain/ids.js';

export interface EnvelopeKind {
  label: string;
  machine: MachineName;
  records(store: Store): Omit<ActorRecords, 'create'>;
  /** Creates a record without TTL, as that kind's `create` does. */
  create(store: Store, id: string, envelope: Envelope): Promise<boolean>;
}

/** The indexes of a refresh token whose id is `id`: derived, so a second create reuses them. */
export function refreshTokenKeys(id: string): RefreshTokenKeys {
  return { id, userId: `user-${id}`, tokenHash: sha256Hex(id) };
}

export const envelopeKinds: EnvelopeKind[] = [
  { label: 'grants', machine: 'loginGrant', records: (s) => s.grants, create: (s, id, e) => s.grants.create(id, e, null) },
  { label: 'flows', machine: 'loginFlow', records: (s) => s.flows, create: (s, id, e) => s.flows.create(id, e, null) },
  {
    label: 'MFA setup flows',
    machine: 'mfaSetupFlow',
    records: (s) => s.mfaSetupFlows,
    create: (s, id, e) => s.mfaSetupFlows.create(id, e, null),
  },
  {
    label: 'refresh tokens',
    machine: 'refreshToken',
    records: (s) => s.refreshTokens,
    create: (s, id, e) => s.refreshTokens.create(refreshTokenKeys(id), e),
  },
];

export function describeEnvelopeRecords(kind: EnvelopeKind, context: ContractContext): void {
  const records = () => kind.records(context.store);
  const make = (rev: number) => envelope(kind.machine, rev);
  const createdRecord = async (): Promise<{ id: string; first: Envelope }> => {
    const id = newId();
    const first = make(1);
    expect(await kind.create(context.store, id, first)).toBe(true);
    return { id, first };
  };

  describe(`${kind.label}: records and compare-and-set`, () => {
    it('loads null for an id never written', async () => {
      expect(await records().load(newId())).toBeNull();
    });

    it('loads what create wrote', async () => {
      const { id, first } = await createdRecord();
      expect(await records().load(id)).toEqual(first);
    });

    it('refuses a second create of a live id and keeps the first record', async () => {
      const { id, first } = await createdRecord();
      expect(await kind.create(context.store, id, make(1))).toBe(false);
      expect(await records().load(id)).toEqual(first);
    });

    it('writes the next envelope when the expected rev is the stored one, and again from there', async () => {
      const { id } = await createdRecord();
      const second = make(2);
      expect(await records().compareAndSet(id, 1, second)).toEqual({ ok: true });
      expect(await records().load(id)).toEqual(second);
      const third = make(3);
      expect(await records().compareAndSet(id, 2, third)).toEqual({ ok: true });
      expect(await records().load(id)).toEqual(third);
    });

    it('refuses a stale rev and returns what is stored now', async () => {
      const { id } = await createdRecord();
      const winner = make(2);
      expect(await records().compareAndSet(id, 1, winner)).toEqual({ ok: true });
      expect(await records().compareAndSet(id, 1, make(2))).toEqual({ ok: false, current: winner });
      expect(await records().load(id)).toEqual(winner);
    });

    it('refuses a compare-and-set on a missing id with current null, and writes nothing', async () => {
      const id = newId();
      expect(await records().compareAndSet(id, 1, make(2))).toEqual({ ok: false, current: null });
      expect(await records().load(id)).toBeNull();
    });

    it('deletes a record; deleting a missing id resolves', async () => {
      const { id } = await createdRecord();
      await records().delete(id);
      expect(await records().load(id)).toBeNull();
      await expect(records().delete(newId())).resolves.toBeUndefined();
    });

    describeCompareAndSetTtl(kind, context, createdRecord);
  });
}

function describeCompareAndSetTtl(
  kind: EnvelopeKind,
  context: ContractContext,
  createdRecord: () => Promise<{ id: string; first: Envelope }>,
): void {
  const records = () => kind.records(context.store);
  const make = (rev: number) => envelope(kind.machine, rev);

  it('a compare-and-set with a ttl gives the record one: it expires', async () => {
    const { id } = await createdRecord();
    const second = make(2);
    expect(await records().compareAndSet(id, 1, second, SHORT_TTL_MS)).toEqual({ ok: true });
    expect(await records().load(id)).toEqual(second);
    await letShortTtlPass(context.clock);
    await eventually(async () => expect(await records().load(id)).toBeNull());
  });

  it('a compare-and-set without ttl keeps the TTL the record has', async () => {
    const { id } = await createdRecord();
    expect(await records().compareAndSet(id, 1, make(2), SHORT_TTL_MS)).toEqual({ ok: true });
    const third = make(3);
    expect(await records().compareAndSet(id, 2, third)).toEqual({ ok: true });
    expect(await records().load(id)).toEqual(third);
    await letShortTtlPass(context.clock);
    await eventually(async () => expect(await records().load(id)).toBeNull());
  });

  it('a compare-and-set without ttl leaves a record without TTL unexpiring', async () => {
    const { id } = await createdRecord();
    const second = make(2);
    expect(await records().compareAndSet(id, 1, second)).toEqual({ ok: true });
    await letShortTtlPass(context.clock);
    expect(await records().load(id)).toEqual(second);
  });

  it('a compare-and-set with ttl null removes the TTL', async () => {
    const { id } = await createdRecord();
    expect(await records().compareAndSet(id, 1, make(2), SHORT_TTL_MS)).toEqual({ ok: true });
    const third = make(3);
    expect(await records().compareAndSet(id, 2, third, null)).toEqual({ ok: true });
    await letShortTtlPass(context.clock);
    expect(await records().load(id)).toEqual(third);
  });

  it('refuses a compare-and-set on an expired record with current null', async () => {
    const { id } = await createdRecord();
    expect(await records().compareAndSet(id, 1, make(2), SHORT_TTL_MS)).toEqual({ ok: true });
    await letShortTtlPass(context.clock);
    await eventually(async () => expect(await records().load(id)).toBeNull());
    expect(await records().compareAndSet(id, 2, make(3))).toEqual({ ok: false, current: null });
    expect(await records().load(id)).toBeNull();
  });
}
