/**
 * The invariant checker (test/support/store-invariants.ts) that the fuzz suite and other tests run on
 * a store at rest: silent on what the service writes, and it names every kind of inconsistency it
 * looks for, written straight into the store (or, for Redis's own index keys, into Redis).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { newId, sha256Hex } from '../../src/domain/ids.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { redisKeys } from '../../src/stores/redis/keys.js';
import type { Envelope, Store } from '../../src/stores/types.js';
import { newSession } from '../http/token-client.js';
import { aUser, issueRefreshToken } from '../support/fixtures.js';
import { checkStoreInvariants } from '../support/store-invariants.js';
import { startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { deleteKeysUnder, rawClient, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { onboardOwner } from '../support/http-client.js';

const START = Date.UTC(2026, 10, 27, 12);

/** A stored envelope with the snapshot of `issueRefreshToken`'s token, its state and context changed. */
async function tokenIn(store: Store, userId: string, value: string, context: Record<string, unknown>): Promise<string> {
  const { id } = await issueRefreshToken(store, userId, START);
  const stored = (await store.refreshTokens.load(id)) as Envelope;
  const snapshot = stored.snapshot as { value: string; status: string; context: Record<string, unknown> };
  const next = { ...stored, rev: 2, snapshot: { ...snapshot, value, status: value === 'revoked' ? 'done' : 'active', context: { ...snapshot.context, ...context } } };
  expect(await store.refreshTokens.compareAndSet(id, 1, next)).toEqual({ ok: true });
  return id;
}

describe.each<StoreKind>(['sqlite', 'redis'])('store invariants (%s)', (kind) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('finds nothing wrong in what the service wrote', async () => {
    server = await startTestServer(kind);
    await onboardOwner(server);
    await newSession(server);
    expect(await checkStoreInvariants(server.store)).toEqual([]);
  });

  it('names records that sit in no state of their machine, or contradict their state', async () => {
    server = await startTestServer(kind);
    const { store } = server;
    const user = aUser();
    await store.users.createUser(user);
    const grant = sha256Hex(newId());
    await store.grants.create(grant, { machine: 'loginGrant', v: 2, rev: 1, snapshot: { value: 'nonsense', context: {}, status: 'active' } }, null);
    const flow = newId();
    await store.flows.create(flow, { machine: 'loginGrant', v: 2, rev: 1, snapshot: { value: 'issued', context: {}, status: 'active' } }, null);
    const ended = await tokenIn(store, user.id, 'issued', { endedAt: START, endReason: 'revoked' });
    const orphan = (await issueRefreshToken(store, newId(), START)).id;
    const moved = await tokenIn(store, user.id, 'revoked', { id: newId(), endedAt: START, endReason: 'revoked' });

    const problems = await checkStoreInvariants(store);
    expect(problems).toEqual(
      expect.arrayContaining([
        `loginGrant ${grant}: unreadable (State 'nonsense' does not exist on 'loginGrant')`,
        `loginFlow ${flow}: an envelope of loginGrant`,
        expect.stringMatching(new RegExp(`^refreshToken ${ended}: a context that state "issued" cannot have`)),
        expect.stringMatching(new RegExp(`^refreshToken ${orphan}: usable \\(issued\\) but its user .* does not exist`)),
        expect.stringMatching(new RegExp(`^refreshToken ${moved}: context.id is`)),
      ]),
    );
    expect(problems).toHaveLength(5);
  });
});

describe('store invariants (Redis index keys)', () => {
  const prefix = uniquePrefix();
  afterEach(async () => {
    await deleteKeysUnder(prefix);
  });

  it('names records that do not decode, index entries that point at no record or at another one, and owners the users disagree with', async () => {
    const store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
    const client = await rawClient();
    try {
      const keys = redisKeys(prefix);
      const user = aUser();
      await store.users.createUser(user);
      const token = await issueRefreshToken(store, user.id, START);
      const missing = newId();
      await client.set(keys.refreshTokenHash(sha256Hex('no such token')), missing);
      await client.sAdd(keys.userRefreshTokens(newId(), 0), token.id);
      await client.sAdd(keys.userCredentials(user.id), missing);
      await client.set(`${prefix}${keys.credentialLookupSuffix('homeassistant', null, 'ghost')}`, missing);
      await client.sAdd(keys.owners, user.id);
      const unreadable = sha256Hex(newId());
      await client.hSet(keys.grant(unreadable), { rev: '1', env: 'not JSON' });
      const problems = await checkStoreInvariants(store);
      expect(problems).toHaveLength(6);
      expect(problems).toEqual(
        expect.arrayContaining([
          `loginGrant ${unreadable}: the stored text is not an envelope`,
          `refresh token hash index ${sha256Hex('no such token')}: points at ${missing}, which is not that token's record`,
          expect.stringMatching(new RegExp(`^refresh token index of user [0-9a-f]{32}: holds ${token.id}, a token of ${user.id}$`)),
          `credential index of user ${user.id}: holds ${missing}, which is no credential of that user`,
          `credential login index ["homeassistant",null,"ghost"]: points at ${missing}, which is not that login's record`,
          `owners: ["${user.id}"], users flagged owner: []`,
        ]),
      );
    } finally {
      client.destroy();
      await store.close();
    }
  });
});
