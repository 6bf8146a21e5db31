/**
 * What the Redis adapter writes, looked at with a plain client: every key under the prefix, the
 * layout of src/stores/redis/keys.ts, TTLs carried by the indexes, and nothing left after cleanup.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnreadableRecordError } from '../../src/stores/envelope-codec.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import type { User } from '../../src/domain/models.js';
import { deleteKeysUnder, envelope, keysUnder, rawClient, REDIS_URL, testSealer, uniquePrefix } from './redis-harness.js';
import { newId, sha256Hex } from '../../src/domain/ids.js';
import { AUDIT_MAX_PER_RECORD, AUDIT_MAX_PER_USER } from '../../src/stores/audit-limits.js';

const id = newId;
const sha256 = sha256Hex;
const user = (userId: string, isOwner = false): User => ({
  id: userId,
  name: 'Paulus',
  isOwner,
  isActive: true,
  systemGenerated: false,
  localOnly: false,
  groupIds: ['system-admin'],
  createdAt: 1_700_000_000_000,
});

let raw: Awaited<ReturnType<typeof rawClient>>;
let prefix: string;
let store: Store;

beforeAll(async () => {
  raw = await rawClient();
});
afterAll(() => raw.destroy());
beforeEach(async () => {
  prefix = uniquePrefix();
  store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
});
afterEach(async () => {
  await store.close();
  await deleteKeysUnder(prefix);
});

async function writeOneOfEverything() {
  const userId = id();
  const tokenId = id();
  const tokenHash = sha256(tokenId);
  await store.users.createUser(user(userId, true), { asOwner: true });
  await store.users.addCredential({
    id: 'c1',
    userId,
    authProviderType: 'homeassistant',
    authProviderId: null,
    data: { username: 'paulus' },
    lookupKey: 'paulus',
  });
  await store.users.addPassword({ username: 'paulus', passwordHash: 'JDJiJDEy' });
  await store.grants.create('g1', envelope(1), 600_000);
  await store.flows.create('f1', envelope(1, 'credentials', 'loginFlow'), 600_000);
  await store.mfaSetupFlows.create('m1', envelope(1, 'awaiting_code', 'mfaSetupFlow'), 600_000);
  await store.mfa.setSecret('totp', userId, 'JBSWY3DPEHPK3PXP', 100);
  await store.refreshTokens.create({ id: tokenId, userId, tokenHash }, envelope(1, 'issued', 'refreshToken'));
  await store.loginAttempts.recordFailure('2001:db8::1', { threshold: 1, windowMs: 600_000, now: 1_700_000_000_000 });
  return { userId, tokenId, tokenHash };
}

describe('redis store: key layout', () => {
  it('keeps every key under the prefix, named as keys.ts says', async () => {
    const { userId, tokenId, tokenHash } = await writeOneOfEverything();
    expect(await keysUnder(raw, prefix)).toEqual(
      [
        'cred:homeassistant:%:paulus',
        'credential:c1',
        'flow:f1',
        'grant:g1',
        'in-state:loginFlow:credentials',
        'in-state:loginGrant:issued',
        'in-state:mfaSetupFlow:awaiting_code',
        'in-state:refreshToken:issued',
        'ip-bans',
        'login-failures:2001:db8::1',
        `mfa:${userId}`,
        'mfa-flow:m1',
        'owners',
        'passwords',
        `rt-hash:${tokenHash}`,
        `rt:${tokenId}`,
        'sealed-with',
        'states-of:loginFlow',
        'states-of:loginGrant',
        'states-of:mfaSetupFlow',
        'states-of:refreshToken',
        `user-creds:${userId}`,
        `user-rts:${userId}`,
        'users',
      ]
        .map((name) => prefix + name)
        .sort(),
    );
  });

  it('keeps each record\'s id in the sorted set of its machine and state, scored with its expiry (ms, +inf for none)', async () => {
    const { tokenId } = await writeOneOfEverything();
    const [grant] = await raw.zRangeWithScores(`${prefix}in-state:loginGrant:issued`, 0, -1);
    expect(grant?.value).toBe('g1');
    expect(grant?.score).toBe(await raw.pExpireTime(`${prefix}grant:g1`));
    expect(await raw.zRangeWithScores(`${prefix}in-state:refreshToken:issued`, 0, -1)).toEqual([{ value: tokenId, score: Infinity }]);
    expect(await raw.sMembers(`${prefix}states-of:refreshToken`)).toEqual(['issued']);
    expect(await store.grants.compareAndSet('g1', 1, envelope(2, 'redeemed'), 60_000)).toEqual({ ok: true });
    expect(await raw.exists(`${prefix}in-state:loginGrant:issued`)).toBe(0);
    expect(await raw.zScore(`${prefix}in-state:loginGrant:redeemed`, 'g1')).toBe(await raw.pExpireTime(`${prefix}grant:g1`));
  });

  it('keeps a user\'s MFA entries in one hash, a sealed secret and a step per module', async () => {
    const { userId } = await writeOneOfEverything();
    expect(await store.mfa.acceptStep('totp', userId, 'JBSWY3DPEHPK3PXP', 101)).toBe(true);
    const entries = await raw.hGetAll(`${prefix}mfa:${userId}`);
    expect(Object.keys(entries).sort()).toEqual(['secret:totp', 'step:totp']);
    expect(entries['secret:totp']).toMatch(/^sealed:[0-9a-f]{8}:/);
    expect(entries['step:totp']).toBe('101');
  });

  it('keeps a failed-login counter with the window as its TTL, and bans in one hash ip → banned_at', async () => {
    await writeOneOfEverything();
    expect(await raw.get(`${prefix}login-failures:2001:db8::1`)).toBe('1');
    const ttl = await raw.pTTL(`${prefix}login-failures:2001:db8::1`);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect(await raw.hGetAll(`${prefix}ip-bans`)).toEqual({ '2001:db8::1': '1700000000000' });
    expect(await raw.pTTL(`${prefix}ip-bans`)).toBe(-1);
  });

  it('keeps a record as a hash {rev, env} whose env is the envelope JSON as written', async () => {
    const first = envelope(1);
    await store.grants.create('g1', first, 600_000);
    expect(await raw.hGetAll(`${prefix}grant:g1`)).toEqual({ rev: '1', env: JSON.stringify(first) });
    const pttl = await raw.pTTL(`${prefix}grant:g1`);
    expect(pttl).toBeGreaterThan(590_000);
    expect(pttl).toBeLessThanOrEqual(600_000);
  });

  it('reports stored text that is not an envelope as unreadable, and leaves it out of listings', async () => {
    await raw.hSet(`${prefix}grant:g1`, { rev: '1', env: '{"machine": "loginGrant", "v": 1, tr' });
    await expect(store.grants.load('g1')).rejects.toThrow(UnreadableRecordError);
    await expect(store.grants.compareAndSet('g1', 7, envelope(8))).rejects.toThrow(UnreadableRecordError);
    const { userId, tokenId, tokenHash } = await writeOneOfEverything();
    await raw.hSet(`${prefix}rt:${tokenId}`, { env: '[]' });
    expect(await store.refreshTokens.listByUser(userId)).toEqual([]);
    await expect(store.refreshTokens.loadByTokenHash(tokenHash)).rejects.toThrow(UnreadableRecordError);
  });

  it('gives a refresh token hash index the TTL that compare-and-set gives its record, and takes it away with null', async () => {
    const { tokenId, tokenHash } = await writeOneOfEverything();
    expect(await raw.pTTL(`${prefix}rt-hash:${tokenHash}`)).toBe(-1);
    await store.refreshTokens.compareAndSet(tokenId, 1, envelope(2, 'revoked', 'refreshToken'), 60_000);
    expect(await raw.pTTL(`${prefix}rt:${tokenId}`)).toBeGreaterThan(55_000);
    expect(await raw.pTTL(`${prefix}rt-hash:${tokenHash}`)).toBeGreaterThan(55_000);
    await store.refreshTokens.compareAndSet(tokenId, 2, envelope(3, 'revoked', 'refreshToken'));
    expect(await raw.pTTL(`${prefix}rt-hash:${tokenHash}`)).toBeGreaterThan(55_000);
    await store.refreshTokens.compareAndSet(tokenId, 3, envelope(4, 'issued', 'refreshToken'), null);
    expect(await raw.pTTL(`${prefix}rt:${tokenId}`)).toBe(-1);
    expect(await raw.pTTL(`${prefix}rt-hash:${tokenHash}`)).toBe(-1);
  });

  it('drops the id of an expired refresh token from the user set when listing', async () => {
    const { userId, tokenId } = await writeOneOfEverything();
    await store.refreshTokens.compareAndSet(tokenId, 1, envelope(2, 'revoked', 'refreshToken'), 1);
    await expect.poll(() => raw.exists(`${prefix}rt:${tokenId}`)).toBe(0);
    expect(await store.refreshTokens.listByUser(userId)).toEqual([]);
    expect(await raw.exists(`${prefix}user-rts:${userId}`)).toBe(0);
  });

  it('removes a user with its credentials and their indexes, its MFA entries and its owner mark in one step', async () => {
    const { userId } = await writeOneOfEverything();
    await store.users.deleteUser(userId);
    const left = (await keysUnder(raw, prefix)).map((key) => key.slice(prefix.length));
    expect(left.filter((key) => key.startsWith('cred') || key.includes(userId) || key === 'owners')).toEqual([
      `user-rts:${userId}`,
    ]);
    expect(await store.users.createUser(user(id(), true), { asOwner: true })).toBe(true);
  });

  it('keeps provider ids apart from the null provider and from colons in them', async () => {
    const userId = id();
    await store.users.createUser(user(userId));
    const base = { userId, authProviderType: 'command_line', data: {}, lookupKey: 'a' };
    expect(await store.users.addCredential({ ...base, id: 'c1', authProviderId: null })).toBe(true);
    expect(await store.users.addCredential({ ...base, id: 'c2', authProviderId: '%' })).toBe(true);
    expect(await store.users.addCredential({ ...base, id: 'c3', authProviderId: 'x:a' })).toBe(true);
    expect(await store.users.addCredential({ ...base, id: 'c4', authProviderId: 'x', lookupKey: 'a:a' })).toBe(true);
    expect((await store.users.findCredential('command_line', null, 'a'))?.id).toBe('c1');
    expect((await store.users.findCredential('command_line', '%', 'a'))?.id).toBe('c2');
    expect((await store.users.findCredential('command_line', 'x:a', 'a'))?.id).toBe('c3');
    expect((await store.users.findCredential('command_line', 'x', 'a:a'))?.id).toBe('c4');
  });

  it('rejects a credential for a user that does not exist, writing nothing', async () => {
    const credential = { id: 'c1', userId: 'nobody', authProviderType: 'homeassistant', authProviderId: null, data: {}, lookupKey: 'x' };
    await expect(store.users.addCredential(credential)).rejects.toThrow(/no user nobody/);
    // The sealing marker, written when the store was opened, is all there is.
    expect(await keysUnder(raw, prefix)).toEqual([`${prefix}sealed-with`]);
  });

  it('creates exactly one owner when several race', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.users.createUser(user(id(), true), { asOwner: true })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the audit trail in a stream, a list per record and a list per named user, the lists with a month\'s TTL', async () => {
    const [recordId, userId] = [id(), id()];
    const entry = { at: 1, machine: 'refreshToken' as const, recordId, event: 'create', from: null, to: 'issued', userId, clientId: null, ip: null, detail: null };
    await store.audit.append(entry);
    await store.audit.append({ ...entry, recordId: 'g1', machine: 'loginGrant', userId: null });
    expect(await keysUnder(raw, prefix)).toEqual([`${prefix}audit`, `${prefix}audit-user:${userId}`, `${prefix}audit:${recordId}`, `${prefix}audit:g1`, `${prefix}sealed-with`]);
    expect(await raw.lRange(`${prefix}audit-user:${userId}`, 0, -1)).toEqual([JSON.stringify(entry)]);
    for (const list of [`audit-user:${userId}`, `audit:${recordId}`]) {
      expect(await raw.pTTL(prefix + list)).toBeGreaterThan(29 * 24 * 60 * 60 * 1000);
    }
  });

  it('keeps the lists of entries kept with a write at their caps, newest last, with a month\'s TTL', async () => {
    const [tokenId, userId] = [id(), id()];
    const entry = (at: number, recordId = tokenId) => ({ at, machine: 'refreshToken' as const, recordId, event: 'USE', from: 'issued', to: 'issued', userId, clientId: null, ip: null, detail: null });
    const [recordList, userList] = [`${prefix}audit:${tokenId}`, `${prefix}audit-user:${userId}`];
    // Each list one short of its cap before a write that keeps two entries in it.
    await raw.rPush(recordList, Array.from({ length: AUDIT_MAX_PER_RECORD - 1 }, (_, at) => JSON.stringify(entry(at))));
    await raw.rPush(userList, Array.from({ length: AUDIT_MAX_PER_USER - 1 }, (_, at) => JSON.stringify(entry(at))));
    await store.refreshTokens.create({ id: tokenId, userId, tokenHash: sha256(tokenId) }, envelope(1, 'issued', 'refreshToken'));
    const kept = [entry(AUDIT_MAX_PER_USER), entry(AUDIT_MAX_PER_USER + 1)];
    expect(await store.refreshTokens.recordUse(tokenId, 1, { at: 2, ip: null }, kept)).toEqual({ ok: true });
    expect(await raw.lLen(recordList)).toBe(AUDIT_MAX_PER_RECORD);
    expect(await raw.lLen(userList)).toBe(AUDIT_MAX_PER_USER);
    for (const list of [recordList, userList]) {
      expect(await raw.lRange(list, -2, -1)).toEqual(kept.map((item) => JSON.stringify(item)));
      expect(await raw.pTTL(list)).toBeGreaterThan(29 * 24 * 60 * 60 * 1000);
    }
  });

  it('leaves no key behind after cleanup', async () => {
    await writeOneOfEverything();
    await store.close();
    await deleteKeysUnder(prefix);
    expect(await keysUnder(raw, prefix)).toEqual([]);
  });
});
