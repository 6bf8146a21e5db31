/**
 * Contract: `countByState` (types.ts `RecordCounts`): the live records of every persisted machine by
 * the state of their snapshot, whatever wrote them, and never the records past their TTL or deleted.
 */
import { describe, expect, it } from 'vitest';
import type { MachineName } from '../../../machines/index.js';
import { sha256Hex } from '../../../src/domain/ids.js';
import type { Envelope } from '../../../src/stores/types.js';
import { recountByState } from '../../support/record-recount.js';
import { eventually, letShortTtlPass, mintedKeys, newId, placedId, SHORT_TTL_MS, type ContractContext } from './context.js';

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

    it('equal a full recount of the records after creates, transitions, deletes, exchanges and expiries', async () => {
      const tokens = await Promise.all(['issued', 'issued', 'issued', 'issued', 'revoked'].map(newToken));
      const [used, revoked, rotated, deleted] = tokens as [string, string, string, string, string];
      // A transition that keeps the state, one to a tombstone that expires, a rotation, a delete.
      expect(await store().refreshTokens.compareAndSet(used, 1, inState('refreshToken', 'issued', 2))).toEqual({ ok: true });
      expect(await store().refreshTokens.compareAndSet(revoked, 1, inState('refreshToken', 'revoked', 2), SHORT_TTL_MS)).toEqual({ ok: true });
      const successor = mintedKeys(store(), newId(), rotated);
      const rotation = { keys: successor, envelope: inState('refreshToken', 'issued') };
      expect(await store().refreshTokens.exchange(rotated, 1, inState('refreshToken', 'redeemed', 2), 60_000, rotation)).toEqual({ ok: true });
      await store().refreshTokens.delete(deleted);
      // A lost compare-and-set moves nothing.
      expect((await store().refreshTokens.compareAndSet(used, 1, inState('refreshToken', 'revoked', 2))).ok).toBe(false);

      const [grant, shortGrant, doomedGrant] = [sha256Hex(newId()), sha256Hex(newId()), sha256Hex(newId())];
      for (const id of [grant, shortGrant, doomedGrant]) await store().grants.create(id, inState('loginGrant', 'issued'), 600_000);
      expect(await store().grants.compareAndSet(grant, 1, inState('loginGrant', 'redeemed', 2))).toEqual({ ok: true });
      expect(await store().grants.compareAndSet(shortGrant, 1, inState('loginGrant', 'redeemed', 2), SHORT_TTL_MS)).toEqual({ ok: true });
      await store().grants.delete(doomedGrant);
      await store().grants.create(sha256Hex(newId()), inState('loginGrant', 'issued'), SHORT_TTL_MS);

      const client = { key: newId(), limit: 5 };
      const opened = await store().flows.openFor(placedId(store(), client.key), inState('loginFlow', 'credentials'), SHORT_TTL_MS, client);
      expect(opened).toEqual({ opened: true });
      const flow = newId();
      await store().flows.create(flow, inState('loginFlow', 'credentials'), 600_000);
      expect(await store().flows.compareAndSet(flow, 1, inState('loginFlow', 'mfa', 2))).toEqual({ ok: true });
      const setup = newId();
      await store().mfaSetupFlows.create(setup, inState('mfaSetupFlow', 'awaiting_code'), 600_000);
      expect(await store().mfaSetupFlows.compareAndSet(setup, 1, inState('mfaSetupFlow', 'confirmed', 2))).toEqual({ ok: true });
      await store().mfaSetupFlows.create(newId(), inState('mfaSetupFlow', 'awaiting_code'), SHORT_TTL_MS);

      // Redis' TTLs run on its own clock: under load the short ones may already have ended, so the
      // two readings are compared until they agree rather than with fixed numbers.
      await eventually(async () => expect(await store().countByState()).toEqual(await recountByState(store())));

      await letShortTtlPass(context.clock);
      const after = {
        loginGrant: { redeemed: 1 },
        refreshToken: { issued: 2, revoked: 1, redeemed: 1 },
        loginFlow: { mfa: 1 },
        mfaSetupFlow: { confirmed: 1 },
      };
      await eventually(async () => expect(await recountByState(store())).toEqual(after));
      await eventually(async () => expect(await store().countByState()).toEqual(after));
      // A record created again under an id whose record expired replaces it in the counts.
      await store().grants.create(shortGrant, inState('loginGrant', 'issued'), 600_000);
      expect(await store().countByState()).toEqual({ ...after, loginGrant: { redeemed: 1, issued: 1 } });
      expect(await store().countByState()).toEqual(await recountByState(store()));
    });

    it('names a state that is not a string (a nested state) by its JSON', async () => {
      await store().flows.create(newId(), inState('loginFlow', { mfa: 'waiting' }), null);
      expect(await store().countByState()).toEqual({ ...NONE, loginFlow: { '{"mfa":"waiting"}': 1 } });
    });
  });
}
