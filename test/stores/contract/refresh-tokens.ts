/**
 * Contract: a refresh token's two indexes, by the hash of its secret and by user (types.ts
 * `RefreshTokenStore`; ARCHITECTURE.md, "Secrets at rest"). Load and compare-and-set are in
 * envelope-records.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Envelope, RefreshTokenKeys } from '../../../src/stores/types.js';
import { envelope, eventually, letShortTtlPass, mintedKeys, newId, SHORT_TTL_MS, type ContractContext } from './context.js';
import { sha256Hex } from '../../../src/domain/ids.js';
import { AUDIT_MAX_PER_USER } from '../../../src/stores/audit-limits.js';
import { makeCredential, makeUser } from './users.js';

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

function newKeys(userId = newId()): RefreshTokenKeys {
  return { id: newId(), userId, tokenHash: sha256Hex(newId()) };
}

export function describeRefreshTokenIndexes(context: ContractContext): void {
  const tokens = () => context.store.refreshTokens;
  const make = (rev: number) => envelope('refreshToken', rev);
  const created = async (keys = newKeys()): Promise<{ keys: RefreshTokenKeys; first: Envelope }> => {
    const first = make(1);
    expect(await tokens().create(keys, first)).toBe(true);
    return { keys, first };
  };

  describe('refresh tokens: indexes', () => {
    it('create writes the record and both indexes', async () => {
      const { keys, first } = await created();
      expect(await tokens().load(keys.id)).toEqual(first);
      expect(await tokens().findIdByTokenHash(keys.tokenHash)).toBe(keys.id);
      expect(await tokens().listByUser(keys.userId)).toEqual([{ id: keys.id, envelope: first }]);
    });

    it('refuses a taken id under another hash and user, indexing nothing for them', async () => {
      const { keys, first } = await created();
      const other = { ...newKeys(), id: keys.id };
      expect(await tokens().create(other, make(1))).toBe(false);
      expect(await tokens().load(keys.id)).toEqual(first);
      expect(await tokens().findIdByTokenHash(other.tokenHash)).toBeNull();
      expect(await tokens().listByUser(other.userId)).toEqual([]);
    });

    it('refuses a taken hash under another id, writing nothing for it', async () => {
      const { keys } = await created();
      const other = { ...newKeys(), tokenHash: keys.tokenHash };
      expect(await tokens().create(other, make(1))).toBe(false);
      expect(await tokens().load(other.id)).toBeNull();
      expect(await tokens().findIdByTokenHash(keys.tokenHash)).toBe(keys.id);
      expect(await tokens().listByUser(other.userId)).toEqual([]);
    });

    it('finds no id for an unknown hash', async () => {
      expect(await tokens().findIdByTokenHash(sha256Hex(newId()))).toBeNull();
      expect(await tokens().loadByTokenHash(sha256Hex(newId()))).toBeNull();
    });

    it('loads the record by its hash with its id, as compare-and-set left it', async () => {
      const { keys, first } = await created();
      await created();
      expect(await tokens().loadByTokenHash(keys.tokenHash)).toEqual({ id: keys.id, envelope: first });
      const second = make(2);
      expect(await tokens().compareAndSet(keys.id, 1, second)).toEqual({ ok: true });
      expect(await tokens().loadByTokenHash(keys.tokenHash)).toEqual({ id: keys.id, envelope: second });
    });

    it('loads nothing by the hash of a tombstone past its TTL, or of a deleted record', async () => {
      const tombstone = await created();
      const deleted = await created();
      expect(await tokens().compareAndSet(tombstone.keys.id, 1, make(2), SHORT_TTL_MS)).toEqual({ ok: true });
      await tokens().delete(deleted.keys.id);
      expect(await tokens().loadByTokenHash(deleted.keys.tokenHash)).toBeNull();
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await tokens().loadByTokenHash(tombstone.keys.tokenHash)).toBeNull());
    });

    it("lists every record of the user, with its current envelope, and none of another user's", async () => {
      const userId = newId();
      const a = await created(newKeys(userId));
      const b = await created(newKeys(userId));
      const other = await created();
      const bSecond = make(2);
      expect(await tokens().compareAndSet(b.keys.id, 1, bSecond)).toEqual({ ok: true });
      const expected = [{ id: a.keys.id, envelope: a.first }, { id: b.keys.id, envelope: bSecond }].sort(byId);
      expect((await tokens().listByUser(userId)).sort(byId)).toEqual(expected);
      expect(await tokens().listByUser(other.keys.userId)).toEqual([{ id: other.keys.id, envelope: other.first }]);
      expect(await tokens().listByUser(newId())).toEqual([]);
    });

    it('a tombstone given a TTL by compare-and-set leaves load and listByUser once it expires', async () => {
      const userId = newId();
      const kept = await created(newKeys(userId));
      const tombstone = await created(newKeys(userId));
      expect(await tokens().compareAndSet(tombstone.keys.id, 1, make(2), SHORT_TTL_MS)).toEqual({ ok: true });
      expect(await tokens().listByUser(userId)).toHaveLength(2);
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await tokens().load(tombstone.keys.id)).toBeNull());
      await eventually(async () =>
        expect(await tokens().listByUser(userId)).toEqual([{ id: kept.keys.id, envelope: kept.first }]),
      );
    });

    it('delete removes the record and both indexes, freeing the id and the hash', async () => {
      const { keys } = await created();
      await tokens().delete(keys.id);
      expect(await tokens().load(keys.id)).toBeNull();
      expect(await tokens().findIdByTokenHash(keys.tokenHash)).toBeNull();
      expect(await tokens().listByUser(keys.userId)).toEqual([]);
      expect(await tokens().create(keys, make(1))).toBe(true);
    });
  });

  describe('refresh tokens: the reads of the refresh grant and of an access token', () => {
    /** An envelope whose snapshot names a credential, as a refresh token's does. */
    const issuedFor = (credentialId: string | null): Envelope => ({
      machine: 'refreshToken',
      v: 1,
      rev: 1,
      snapshot: { value: 'issued', context: { credentialId }, status: 'active' },
    });
    const withUserAndCredential = async () => {
      const user = makeUser(context);
      expect(await context.store.users.createUser(user)).toBe(true);
      const credential = makeCredential(user.id);
      expect(await context.store.users.addCredential(credential)).toBe(true);
      return { user, credential };
    };

    it('loadPresented reads the token with its user and the credential its snapshot names', async () => {
      const { user, credential } = await withUserAndCredential();
      const keys = { ...newKeys(user.id), credentialId: credential.id };
      const first = issuedFor(credential.id);
      expect(await tokens().create(keys, first)).toBe(true);
      expect(await tokens().loadPresented(keys.tokenHash)).toEqual({ id: keys.id, envelope: first, user, credential });
      expect(await tokens().loadPresented(sha256Hex(newId()))).toBeNull();
    });

    it('loadPresented finds the credential of a token stored without it beside (written before), and answers null for what is gone', async () => {
      const { user, credential } = await withUserAndCredential();
      const keys = newKeys(user.id);
      const first = issuedFor(credential.id);
      expect(await tokens().create(keys, first)).toBe(true);
      expect(await tokens().loadPresented(keys.tokenHash)).toEqual({ id: keys.id, envelope: first, user, credential });
      const orphan = { ...newKeys(), credentialId: null };
      const none = issuedFor(null);
      expect(await tokens().create(orphan, none)).toBe(true);
      expect(await tokens().loadPresented(orphan.tokenHash)).toEqual({ id: orphan.id, envelope: none, user: null, credential: null });
    });

    it('loadSession reads the token with its user, and nothing for an unknown id', async () => {
      const { user } = await withUserAndCredential();
      const { keys, first } = await created(newKeys(user.id));
      expect(await tokens().loadSession(keys.id)).toEqual({ envelope: first, user });
      const { keys: orphan, first: orphanFirst } = await created();
      expect(await tokens().loadSession(orphan.id)).toEqual({ envelope: orphanFirst, user: null });
      expect(await tokens().loadSession(newId())).toBeNull();
    });
  });

  describe('refresh tokens: exchange (a rotation\'s one write)', () => {
    // A successor is placed with the token it succeeds, as the service mints it (Store.placement).
    const near = (keys: RefreshTokenKeys) => mintedKeys(context.store, keys.userId, keys.id);
    const successorOf = (keys: RefreshTokenKeys) => ({ keys: near(keys), envelope: make(1) });

    it('writes the compare-and-set and the successor with both its indexes', async () => {
      const { keys } = await created();
      const successor = successorOf(keys);
      const redeemed = make(2);
      expect(await tokens().exchange(keys.id, 1, redeemed, undefined, successor)).toEqual({ ok: true });
      expect(await tokens().load(keys.id)).toEqual(redeemed);
      expect(await tokens().loadByTokenHash(successor.keys.tokenHash)).toEqual({ id: successor.keys.id, envelope: successor.envelope });
      expect((await tokens().listByUser(keys.userId)).sort(byId)).toEqual(
        [{ id: keys.id, envelope: redeemed }, { id: successor.keys.id, envelope: successor.envelope }].sort(byId),
      );
    });

    it('writes nothing when the revision moved on, and returns the stored record', async () => {
      const { keys } = await created();
      const second = make(2);
      expect(await tokens().compareAndSet(keys.id, 1, second)).toEqual({ ok: true });
      const successor = successorOf(keys);
      expect(await tokens().exchange(keys.id, 1, make(2), undefined, successor)).toEqual({ ok: false, current: second });
      expect(await tokens().load(successor.keys.id)).toBeNull();
      expect(await tokens().findIdByTokenHash(successor.keys.tokenHash)).toBeNull();
      expect(await tokens().listByUser(keys.userId)).toEqual([{ id: keys.id, envelope: second }]);
    });

    it('rejects a successor whose id or hash is taken, writing neither half', async () => {
      const { keys, first } = await created();
      const { keys: other } = await created(near(keys));
      for (const taken of [{ ...near(keys), id: other.id }, { ...near(keys), tokenHash: other.tokenHash }]) {
        await expect(tokens().exchange(keys.id, 1, make(2), undefined, { keys: taken, envelope: make(1) })).rejects.toThrow(RangeError);
        expect(await tokens().load(keys.id)).toEqual(first);
      }
      expect(await tokens().listByUser(keys.userId)).toHaveLength(2);
    });

    it('keeps its entries in each record\'s history and, in order, in their user\'s, which stays capped', async () => {
      const { keys } = await created();
      const successor = successorOf(keys);
      const at = (time: number, recordId: string, event: string) =>
        ({ at: time, machine: 'refreshToken' as const, recordId, event, from: null, to: 'issued', userId: keys.userId, clientId: null, ip: null, detail: null });
      // The user's history one short of its cap: the write's two entries push its oldest out.
      for (let time = 1; time < AUDIT_MAX_PER_USER; time += 1) await context.store.audit.append(at(time, newId(), 'older'));
      const entries = [at(AUDIT_MAX_PER_USER, keys.id, 'ROTATE'), at(AUDIT_MAX_PER_USER + 1, successor.keys.id, 'create')];
      expect(await tokens().exchange(keys.id, 1, make(2), undefined, successor, entries)).toEqual({ ok: true });
      expect(await context.store.audit.forRecord(keys.id)).toEqual([entries[0]]);
      expect(await context.store.audit.forRecord(successor.keys.id)).toEqual([entries[1]]);
      const kept = await context.store.audit.forUser(keys.userId, AUDIT_MAX_PER_USER * 2);
      expect(kept.map((entry) => entry.at)).toEqual(Array.from({ length: AUDIT_MAX_PER_USER }, (_, index) => index + 2));
      expect(kept.slice(-2)).toEqual(entries);
      expect(await context.store.audit.tail(2)).toEqual(entries);
    });

    it('gives the redeemed token and its hash index the TTL it is given, and none to the successor', async () => {
      const { keys } = await created();
      const successor = successorOf(keys);
      expect(await tokens().exchange(keys.id, 1, make(2), SHORT_TTL_MS, successor)).toEqual({ ok: true });
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await tokens().loadByTokenHash(keys.tokenHash)).toBeNull());
      expect(await tokens().loadByTokenHash(successor.keys.tokenHash)).toEqual({ id: successor.keys.id, envelope: successor.envelope });
    });
  });
}

/**
 * Contract: a token's uses kept beside its envelope (types.ts `RefreshTokenStore.recordUse`, issue 16):
 * they keep the latest use, leave the revision as it is (so uses never conflict with one another),
 * and every read gives the envelope with that use merged in (stores/refresh-token-use.ts).
 */
export function describeRecordedUses(context: ContractContext): void {
  const tokens = () => context.store.refreshTokens;
  const DAY = 24 * 60 * 60 * 1000;
  /** A normal token's snapshot as the machine leaves it: last used at `at`, expiring 90 days after. */
  const usedAt = (at: number, rev = 1, expireAt: number | null = at + 90 * DAY): Envelope => ({
    machine: 'refreshToken',
    v: 2,
    rev,
    snapshot: { value: 'issued', context: { lastUsedAt: at, lastUsedIp: '192.0.2.1', expireAt, credentialId: null }, status: 'active' },
  });
  const merged = (envelope: Envelope, at: number, ip: string | null, expireAt: number | null = at + 90 * DAY): Envelope => {
    const snapshot = envelope.snapshot as { context: object };
    return { ...envelope, snapshot: { ...snapshot, context: { ...snapshot.context, lastUsedAt: at, lastUsedIp: ip, expireAt } } };
  };
  const created = async (first: Envelope) => {
    const keys = newKeys();
    expect(await tokens().create(keys, first)).toBe(true);
    return keys;
  };

  describe('refresh tokens: recorded uses', () => {
    it('keeps the latest use whatever order the uses come in, leaving the revision, and every read merges it', async () => {
      const first = usedAt(1_000);
      const keys = await created(first);
      for (const [at, ip] of [[5_000, '192.0.2.5'], [3_000, '192.0.2.3'], [4_000, null]] as const) {
        expect(await tokens().recordUse(keys.id, 1, { at, ip })).toEqual({ ok: true });
      }
      const latest = merged(first, 5_000, '192.0.2.5');
      expect(await tokens().load(keys.id)).toEqual(latest);
      expect(await tokens().loadByTokenHash(keys.tokenHash)).toEqual({ id: keys.id, envelope: latest });
      expect(await tokens().loadPresented(keys.tokenHash)).toEqual({ id: keys.id, envelope: latest, user: null, credential: null });
      expect(await tokens().loadSession(keys.id)).toEqual({ envelope: latest, user: null });
      expect(await tokens().listByUser(keys.userId)).toEqual([{ id: keys.id, envelope: latest }]);
      // The revision is still the one created: a transition's compare-and-set on it still wins.
      expect(await tokens().compareAndSet(keys.id, 1, usedAt(1_000, 2))).toEqual({ ok: true });
    });

    it('never brings back an expiry that was switched off, nor an older use over a newer one in the envelope', async () => {
      const off = usedAt(1_000, 1, null);
      const offKeys = await created(off);
      expect(await tokens().recordUse(offKeys.id, 1, { at: 2_000, ip: null })).toEqual({ ok: true });
      expect(await tokens().load(offKeys.id)).toEqual(merged(off, 2_000, null, null));
      const newer = usedAt(9_000);
      const newerKeys = await created(newer);
      expect(await tokens().recordUse(newerKeys.id, 1, { at: 2_000, ip: '192.0.2.2' })).toEqual({ ok: true });
      expect(await tokens().load(newerKeys.id)).toEqual(newer);
    });

    it('writes nothing once a transition moved the revision on, and returns the record as stored, its use merged', async () => {
      const keys = await created(usedAt(1_000));
      expect(await tokens().recordUse(keys.id, 1, { at: 2_000, ip: '192.0.2.2' })).toEqual({ ok: true });
      const revoked = usedAt(1_000, 2);
      expect(await tokens().compareAndSet(keys.id, 1, revoked)).toEqual({ ok: true });
      expect(await tokens().recordUse(keys.id, 1, { at: 3_000, ip: '192.0.2.3' })).toEqual({ ok: false, current: merged(revoked, 2_000, '192.0.2.2') });
      expect(await tokens().compareAndSet(keys.id, 1, usedAt(1_000, 2))).toEqual({ ok: false, current: merged(revoked, 2_000, '192.0.2.2') });
      expect(await tokens().recordUse(newId(), 1, { at: 3_000, ip: null })).toEqual({ ok: false, current: null });
    });

    it('keeps the audit entries it is given with the use', async () => {
      const keys = await created(usedAt(1_000));
      const entry = { at: 2_000, machine: 'refreshToken' as const, recordId: keys.id, event: 'USE', from: 'issued', to: 'issued', userId: null, clientId: null, ip: '192.0.2.2', detail: null };
      expect(await tokens().recordUse(keys.id, 1, { at: 2_000, ip: '192.0.2.2' }, [entry])).toEqual({ ok: true });
      expect(await context.store.audit.forRecord(keys.id)).toEqual([entry]);
    });
  });
}
