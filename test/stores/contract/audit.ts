/** Contract: the audit trail (types.ts `AuditLog`): appended entries come back whole, newest last, by record and by user. */
import { describe, expect, it } from 'vitest';
import { AUDIT_MAX_PER_USER } from '../../../src/stores/audit-limits.js';
import type { AuditEntry } from '../../../src/stores/types.js';
import { eventually, letShortTtlPass, newId, PAST_SHORT_TTL_MS, SHORT_TTL_MS, type ContractContext } from './context.js';

/** A hold that outlasts a few appends on a loaded machine, still passed in a few of the clock's steps. */
const HELD_THROUGH_APPENDS_MS = 400;

function entry(recordId: string, at: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at,
    machine: 'refreshToken',
    recordId,
    event: 'USE',
    from: 'issued',
    to: 'issued',
    userId: newId(),
    clientId: 'https://app.example/',
    ip: '192.0.2.7',
    detail: null,
    ...overrides,
  };
}

export function describeAudit(context: ContractContext): void {
  const audit = () => context.store.audit;

  describe('audit trail', () => {
    it('gives back the newest entries in order, oldest first, each whole', async () => {
      const first = entry(newId(), 1, { event: 'create', from: null, detail: 'x' });
      const second = entry(newId(), 2, { ip: null, userId: null, clientId: null });
      const third = entry(newId(), 3, { event: 'REVOKE', to: 'revoked', detail: 'reason revoked' });
      for (const item of [first, second, third]) await audit().append(item);
      expect(await audit().tail(2)).toEqual([second, third]);
      expect(await audit().tail(10)).toEqual([first, second, third]);
    });

    it('keeps each record\'s history apart, in order', async () => {
      const [one, two] = [newId(), newId()];
      const history = [entry(one, 1, { event: 'create', from: null }), entry(one, 2), entry(one, 3, { event: 'ROTATE', to: 'redeemed' })];
      await audit().append(history[0] as AuditEntry);
      await audit().append(entry(two, 2));
      await audit().append(history[1] as AuditEntry);
      await audit().append(history[2] as AuditEntry);
      expect(await audit().forRecord(one)).toEqual(history);
      expect(await audit().forRecord(two)).toHaveLength(1);
      expect(await audit().forRecord(newId())).toEqual([]);
    });

    it('gives a user\'s newest entries across records, oldest first, and none of anyone else\'s', async () => {
      const [user, other] = [newId(), newId()];
      const [token, flow] = [newId(), newId()];
      const mine = [
        entry(token, 1, { userId: user, event: 'create', from: null }),
        entry(flow, 2, { userId: user, machine: 'loginFlow', event: 'CREDENTIALS_ACCEPTED', from: 'credentials', to: 'done' }),
        entry(token, 4, { userId: user, event: 'REVOKE', to: 'revoked', detail: 'reason=revoked' }),
      ];
      await audit().append(mine[0] as AuditEntry);
      await audit().append(mine[1] as AuditEntry);
      await audit().append(entry(newId(), 3, { userId: other }));
      await audit().append(entry(flow, 3, { userId: null, machine: 'loginFlow' }));
      await audit().append(mine[2] as AuditEntry);
      expect(await audit().forUser(user, 10)).toEqual(mine);
      expect(await audit().forUser(user, 2)).toEqual(mine.slice(1));
      expect(await audit().forUser(user, 0)).toEqual([]);
      expect(await audit().forUser(other, 10)).toHaveLength(1);
      expect(await audit().forUser(newId(), 10)).toEqual([]);
    });

    const hold = { holdForMs: SHORT_TTL_MS };
    const flowEntry = (recordId: string, at: number, overrides: Partial<AuditEntry> = {}) =>
      entry(recordId, at, { machine: 'loginFlow', event: 'create', from: null, to: 'credentials', userId: null, ...overrides });

    it('holds an entry in its record\'s history only, and forgets it once its hold has passed', async () => {
      const [flow, other] = [newId(), newId()];
      const user = newId();
      const held = [flowEntry(flow, 1), flowEntry(flow, 2, { event: 'ABORT', to: 'aborted', userId: user })];
      for (const item of held) await audit().append(item, hold);
      await audit().append(entry(other, 3));
      expect(await audit().forRecord(flow)).toEqual(held);
      expect((await audit().tail(10)).map((item) => item.recordId)).toEqual([other]);
      expect(await audit().forUser(user, 10)).toEqual([]);
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await audit().forRecord(flow)).toEqual([]));
    });

    it('keeps the held entries of a record with its next kept entry, in order, for as long as any kept entry', async () => {
      const flow = newId();
      const user = newId();
      const held = [flowEntry(flow, 1), flowEntry(flow, 2, { userId: user })];
      // Held long enough for the four appends below on a loaded machine (Redis' TTLs run on its own
      // clock: 50 ms was seen to pass before the verdict), then outlived.
      const longerHold = { holdForMs: HELD_THROUGH_APPENDS_MS };
      for (const item of held) await audit().append(item, longerHold);
      await audit().append(entry(newId(), 3));
      const verdict = flowEntry(flow, 4, { event: 'CREDENTIALS_REJECTED', from: 'credentials', userId: user });
      await audit().append(verdict);
      const history = [...held, verdict];
      expect(await audit().forRecord(flow)).toEqual(history);
      expect((await audit().tail(3)).map((item) => item.at)).toEqual([1, 2, 4]);
      expect(await audit().forUser(user, 10)).toEqual([held[1], verdict]);
      for (let passed = 0; passed <= HELD_THROUGH_APPENDS_MS; passed += PAST_SHORT_TTL_MS) await letShortTtlPass(context.clock);
      expect(await audit().forRecord(flow)).toEqual(history);
    });

    it('keeps at once an entry held for a record that has kept entries', async () => {
      const flow = newId();
      const verdict = flowEntry(flow, 1, { event: 'CREDENTIALS_REJECTED', from: 'credentials' });
      const abort = flowEntry(flow, 2, { event: 'ABORT', from: 'credentials', to: 'aborted' });
      await audit().append(verdict);
      await audit().append(abort, hold);
      await letShortTtlPass(context.clock);
      expect(await audit().forRecord(flow)).toEqual([verdict, abort]);
      expect((await audit().tail(2)).map((item) => item.at)).toEqual([1, 2]);
    });

    it(`keeps at most the newest ${AUDIT_MAX_PER_USER} entries of a user`, async () => {
      const user = newId();
      const record = newId();
      for (let at = 1; at <= AUDIT_MAX_PER_USER + 2; at += 1) await audit().append(entry(record, at, { userId: user }));
      const kept = await audit().forUser(user, AUDIT_MAX_PER_USER * 2);
      expect(kept).toHaveLength(AUDIT_MAX_PER_USER);
      expect(kept.map((item) => item.at)).toEqual(Array.from({ length: AUDIT_MAX_PER_USER }, (_, index) => index + 3));
    });
  });
}
