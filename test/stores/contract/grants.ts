/**
 * Contract: the code exchange's read and write (types.ts `GrantStore`, issue 16): the grant with the
 * stored login it names and that login's user, and the grant's redemption with the refresh token it
 * produces, both or neither. Load, create and compare-and-set are in envelope-records.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry, Envelope, RefreshTokenKeys } from '../../../src/stores/types.js';
import { envelope, mintedKeys, newId, type ContractContext } from './context.js';
import { makeCredential, makeUser } from './users.js';

const GRANT_TTL_MS = 600_000;

/** A grant's envelope whose login is the credential `credentialId`, as a login grant's snapshot names it. */
const grantFor = (credentialId: unknown, rev = 1): Envelope => ({
  machine: 'loginGrant',
  v: 2,
  rev,
  snapshot: { value: 'issued', context: { credential: { id: credentialId }, note: newId() }, status: 'active' },
});


const created = (grantId: string, token: string): AuditEntry => ({
  at: 1, machine: 'refreshToken', recordId: token, event: 'create', from: null, to: 'issued', userId: null, clientId: null, ip: null, detail: `grant=${grantId}`,
});

export function describeGrants(context: ContractContext): void {
  const grants = () => context.store.grants;
  const tokens = () => context.store.refreshTokens;
  // The token a redemption creates is placed with its grant, as the service mints it (Store.placement).
  const tokenKeys = (grantId: string): RefreshTokenKeys => ({ ...mintedKeys(context.store, newId(), grantId), credentialId: null });
  const issued = async (first: Envelope) => {
    const id = newId();
    expect(await grants().create(id, first, GRANT_TTL_MS)).toBe(true);
    return id;
  };

  describe('grants: the code exchange\'s read', () => {
    it('loadRedemption reads the grant with the stored credential its login names and that credential\'s user', async () => {
      const user = makeUser(context);
      expect(await context.store.users.createUser(user)).toBe(true);
      const credential = makeCredential(user.id);
      expect(await context.store.users.addCredential(credential)).toBe(true);
      const first = grantFor(credential.id);
      const id = await issued(first);
      expect(await grants().loadRedemption(id)).toEqual({ envelope: first, credential, user });
    });

    it('answers null for a login not stored (a first login), and null for an unknown grant', async () => {
      for (const credentialId of [newId(), null, 7]) {
        const first = grantFor(credentialId);
        expect(await grants().loadRedemption(await issued(first))).toEqual({ envelope: first, credential: null, user: null });
      }
      const nameless = envelope('loginGrant', 1);
      expect(await grants().loadRedemption(await issued(nameless))).toEqual({ envelope: nameless, credential: null, user: null });
      expect(await grants().loadRedemption(newId())).toBeNull();
    });
  });

  describe('grants: redeem (the code exchange\'s one write)', () => {
    it('writes the compare-and-set and the token with both its indexes and the audit entries', async () => {
      const id = await issued(grantFor(newId()));
      const token = { keys: tokenKeys(id), envelope: envelope('refreshToken', 1) };
      const redeemed = grantFor(newId(), 2);
      const entry = created(id, token.keys.id);
      expect(await grants().redeem(id, 1, redeemed, undefined, token, [entry])).toEqual({ ok: true });
      expect(await grants().load(id)).toEqual(redeemed);
      expect(await tokens().loadByTokenHash(token.keys.tokenHash)).toEqual({ id: token.keys.id, envelope: token.envelope });
      expect(await tokens().listByUser(token.keys.userId)).toEqual([{ id: token.keys.id, envelope: token.envelope }]);
      expect(await context.store.audit.forRecord(token.keys.id)).toEqual([entry]);
    });

    it('writes nothing when the revision moved on, and returns the stored grant', async () => {
      const id = await issued(grantFor(newId()));
      const second = grantFor(newId(), 2);
      expect(await grants().compareAndSet(id, 1, second)).toEqual({ ok: true });
      const token = { keys: tokenKeys(id), envelope: envelope('refreshToken', 1) };
      expect(await grants().redeem(id, 1, grantFor(newId(), 2), undefined, token, [created(id, token.keys.id)])).toEqual({ ok: false, current: second });
      expect(await tokens().load(token.keys.id)).toBeNull();
      expect(await tokens().findIdByTokenHash(token.keys.tokenHash)).toBeNull();
      expect(await context.store.audit.forRecord(token.keys.id)).toEqual([]);
    });

    it('rejects a token whose id or hash is taken, writing neither half', async () => {
      const first = grantFor(newId());
      const id = await issued(first);
      const other = tokenKeys(id);
      expect(await tokens().create(other, envelope('refreshToken', 1))).toBe(true);
      for (const taken of [{ ...tokenKeys(id), id: other.id }, { ...tokenKeys(id), tokenHash: other.tokenHash }]) {
        await expect(grants().redeem(id, 1, grantFor(newId(), 2), undefined, { keys: taken, envelope: envelope('refreshToken', 1) })).rejects.toThrow(RangeError);
        expect(await grants().load(id)).toEqual(first);
      }
    });
  });
}
