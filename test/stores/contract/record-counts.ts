/**
 * Contract: `countByState` (types.ts `RecordCounts`): the live records of every persisted machine by
 * the state of their snapshot, whatever wrote them, and never the records past their TTL or deleted.
 */
import { describe, expect, it } from 'vitest';
import type { MachineName } from '../../../machines/index.js';
import { sha256Hex } from '../../../src/domain/ids.js';
import type { Envelope } from '../../../src/stores/types.js';
import { eventually, letShortTtlPass, newId, SHORT_TTL_MS, type ContractContext } from './context.js';

const NONE = { loginGrant: {}, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };

function inState(machine: MachineName, state: unknown, rev = 1): Envelope {
  return { machine, v: 1, rev, snapshot: { value: state, context: { note: newId() }, status: 'active' } };
}

export function describeRecordCounts(context: ContractContext): void {
  const store = () => context.store;
  const newToken = async (state: string) => {
    const keys = { id: newId(), userId: newId(), tokenHash: sha256Hex(newId()) };
    expect(await store().refreshTokens.create(keys, inState('refreshToken', state))).toBe(true);
    return keys.id;
  };

  describe('record counts by state', () => {
    it('names every machine, with no state, when there are no records', async () => {
      expect(await store().countByState()).toEqual(NONE);
    });

    it('counts the records of each family by the state of their snapshot', async () => {
      await store().grants.create(sha256Hex(newId()), inState('loginGrant', 'issued'), 600_000);
      await store().grants.create(sha256Hex(newId()), inState('loginGrant', 'issued'), 600_000);
      await store().grants.create(sha256Hex(newId()), inState('loginGrant', 'redeemed'), null);
      await store().flows.create(newId(), inState('loginFlow', 'credentials'), 600_000);
      await store().mfaSetupFlows.create(newId(), inState('mfaSetupFlow', 'awaiting_code'), 600_000);
      await newToken('issued');
      await newToken('issued');
      await newToken('revoked');
      expect(await store().countByState()).toEqual({
        loginGrant: { issued: 2, redeemed: 1 },
        refreshToken: { issued: 2, revoked: 1 },
        loginFlow: { credentials: 1 },
        mfaSetupFlow: { awaiting_code: 1 },
      });
    });

    it('follows compare-and-set and delete', async () => {
      const [kept, deleted] = [await newToken('issued'), await newToken('issued')];
      expect(await store().refreshTokens.compareAndSet(kept, 1, inState('refreshToken', 'revoked', 2))).toEqual({ ok: true });
      await store().refreshTokens.delete(deleted);
      const flow = newId();
      await store().flows.create(flow, inState('loginFlow', 'credentials'), null);
      await store().flows.delete(flow);
      expect(await store().countByState()).toEqual({ ...NONE, refreshToken: { revoked: 1 } });
    });

    it('leaves out records past their TTL', async () => {
      await store().grants.create(sha256Hex(newId()), inState('loginGrant', 'issued'), SHORT_TTL_MS);
      await store().grants.create(sha256Hex(newId()), inState('loginGrant', 'issued'), 60_000);
      const token = await newToken('issued');
      await store().refreshTokens.compareAndSet(token, 1, inState('refreshToken', 'revoked', 2), SHORT_TTL_MS);
      expect(await store().countByState()).toEqual({ ...NONE, loginGrant: { issued: 2 }, refreshToken: { revoked: 1 } });
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await store().countByState()).toEqual({ ...NONE, loginGrant: { issued: 1 } }));
    });

    it('names a state that is not a string (a nested state) by its JSON', async () => {
      await store().flows.create(newId(), inState('loginFlow', { mfa: 'waiting' }), null);
      expect(await store().countByState()).toEqual({ ...NONE, loginFlow: { '{"mfa":"waiting"}': 1 } });
    });
  });
}
