/**
 * Contract: `readContents` (types.ts `StoreContents`): every live record as stored, and every index
 * entry beside the record it points at, so that a consistency check (test/support/store-invariants.ts)
 * sees the same picture on every adapter; removed records and records past their TTL take their
 * index entries with them.
 */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/domain/ids.js';
import { emptyStoreContents, type StoreContents } from '../../../src/stores/store-contents.js';
import { envelope, eventually, letShortTtlPass, newId, SHORT_TTL_MS, type ContractContext } from './context.js';
import { makeCredential, makeUser } from './users.js';


export function describeContents(context: ContractContext): void {
  const store = () => context.store;

  describe('contents', () => {
    it('is empty for an empty store', async () => {
      expect(await store().readContents()).toEqual(emptyStoreContents());
    });

    it('lists every record and every index entry as written', async () => {
      const owner = makeUser(context, { isOwner: true });
      expect(await store().users.createUser(owner, { asOwner: true })).toBe(true);
      const credential = makeCredential(owner.id, { authProviderId: 'a:b' });
      expect(await store().users.addCredential(credential)).toBe(true);
      expect(await store().mfa.setSecret('totp', owner.id, 'SECRET', 1)).toBe(true);
      const token = { id: newId(), userId: owner.id, tokenHash: sha256Hex(newId()) };
      expect(await store().refreshTokens.create(token, envelope('refreshToken', 1))).toBe(true);
      const [grant, flow, setup] = [sha256Hex(newId()), newId(), newId()];
      await store().grants.create(grant, envelope('loginGrant', 1), 60_000);
      await store().flows.create(flow, envelope('loginFlow', 1), 60_000);
      await store().mfaSetupFlows.create(setup, envelope('mfaSetupFlow', 1), null);

      const login = { authProviderType: credential.authProviderType, authProviderId: 'a:b', lookupKey: credential.lookupKey };
      expect(await store().readContents()).toEqual({
        records: {
          loginGrant: [{ id: grant, envelope: envelope('loginGrant', 1, expect.any(String) as string) }],
          refreshToken: [{ id: token.id, envelope: envelope('refreshToken', 1, expect.any(String) as string) }],
          loginFlow: [{ id: flow, envelope: envelope('loginFlow', 1, expect.any(String) as string) }],
          mfaSetupFlow: [{ id: setup, envelope: envelope('mfaSetupFlow', 1, expect.any(String) as string) }],
        },
        refreshTokenKeys: [token],
        refreshTokenHashIndex: [{ tokenHash: token.tokenHash, id: token.id }],
        userRefreshTokenIndex: [{ userId: owner.id, id: token.id }],
        users: [owner],
        ownerIds: [owner.id],
        credentials: [{ id: credential.id, credential, userId: owner.id, login }],
        credentialLoginIndex: [{ login, id: credential.id }],
        userCredentialIndex: [{ userId: owner.id, id: credential.id }],
        mfaSecrets: [{ moduleId: 'totp', userId: owner.id }],
      } satisfies StoreContents);
    });

    it('drops the index entries of what was removed, and of records past their TTL', async () => {
      const user = makeUser(context);
      await store().users.createUser(user);
      const credential = makeCredential(user.id);
      await store().users.addCredential(credential);
      const [kept, removed] = [newId(), newId()].map((id) => ({ id, userId: user.id, tokenHash: sha256Hex(newId()) })) as [
        { id: string; userId: string; tokenHash: string },
        { id: string; userId: string; tokenHash: string },
      ];
      await store().refreshTokens.create(kept, envelope('refreshToken', 1));
      await store().refreshTokens.create(removed, envelope('refreshToken', 1));
      await store().refreshTokens.delete(removed.id);
      await store().users.removeCredential(credential.id);
      await store().refreshTokens.compareAndSet(kept.id, 1, envelope('refreshToken', 2), SHORT_TTL_MS);
      await store().grants.create(sha256Hex(newId()), envelope('loginGrant', 1), SHORT_TTL_MS);

      const now = await store().readContents();
      expect({ tokens: now.refreshTokenKeys, hashes: now.refreshTokenHashIndex, credentials: now.credentials, logins: now.credentialLoginIndex }).toEqual({
        tokens: [kept],
        hashes: [{ tokenHash: kept.tokenHash, id: kept.id }],
        credentials: [],
        logins: [],
      });
      await letShortTtlPass(context.clock);
      await eventually(async () => {
        const later = await store().readContents();
        expect({ grants: later.records.loginGrant, tokens: later.records.refreshToken, hashes: later.refreshTokenHashIndex }).toEqual({
          grants: [],
          tokens: [],
          hashes: [],
        });
      });
    });
  });
}
