/** Contract: the audit trail (types.ts `AuditLog`): appended entries come back whole, newest last, by record. */
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/stores/types.js';
import { newId, type ContractContext } from './context.js';

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
  });
}
