/**
 * The import's writes, on both stores: a second import writes nothing at all; an import that stops
 * after any number of writes (a crash, Redis gone) leaves a state where no login works half-way (no
 * TOTP user without the secret, no password without its credential), and a second run completes it
 * to exactly what one run writes; `replace` ends a token it replaces on the revocation bus.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { importFromHomeAssistant, planImport, readHomeAssistantConfig } from '../../../src/services/import/import-ha.js';
import { applyPlan, type Resolution } from '../../../src/services/import/import-plan.js';
import { initialEnvelope } from '../../../src/runtime/records.js';
import { newSecret, sha256Hex } from '../../../src/domain/ids.js';
import type { Store } from '../../../src/stores/types.js';
import { copyFixture, dumpStore, editStorage, FIXTURE_DIR, HA } from '../../cli/ha-fixture.js';
import { aUser } from '../../support/fixtures.js';
import { openStorePerTest } from '../../stores/contract.js';
import { BOTH_STORES } from '../../support/stores.js';

const NOW = Date.UTC(2026, 10, 27, 12);

const WRITES: Record<'users' | 'mfa' | 'refreshTokens', string[]> = {
  users: [
    'createUser', 'updateUser', 'addCredential', 'removeCredential', 'updateCredential', 'addPassword', 'setPassword', 'deletePassword', 'deleteUser',
    'markOnboarded',
  ],
  mfa: ['setSecret', 'deleteSecret'],
  refreshTokens: ['create', 'delete', 'compareAndSet'],
};

class Crash extends Error {}

/**
 * The store, seen through a counter of its writes; with `crashAfter`, the write after that many
 * throws instead of reaching the store, as if the process died there.
 */
function countingWrites(store: Store, crashAfter = Infinity) {
  const counter = { writes: 0 };
  const watch = <T extends object>(part: T, methods: string[]): T =>
    new Proxy(part, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (!methods.includes(String(property))) return value.bind(target) as unknown;
        return (...args: unknown[]) => {
          if (counter.writes >= crashAfter) throw new Crash(`crashed before write ${counter.writes + 1}`);
          counter.writes += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const parts = { users: watch(store.users, WRITES.users), mfa: watch(store.mfa, WRITES.mfa), refreshTokens: watch(store.refreshTokens, WRITES.refreshTokens) };
  const watched = new Proxy(store, {
    get: (target, property, receiver): unknown => (property in parts ? parts[property as keyof typeof parts] : Reflect.get(target, property, receiver)),
  });
  return { store: watched, counter };
}

const importInto = (store: Store, resolution: Resolution = 'stop') => importFromHomeAssistant(store, FIXTURE_DIR, { resolution, now: NOW });

/** No state a crash leaves lets a login skip its TOTP, or makes a login create a second user. */
async function expectNoHalfLogins(store: Store): Promise<void> {
  for (const { username } of await store.users.listPasswords()) {
    if (username === HA.carol.username) continue; // never had a user
    const credential = await store.users.findCredential('homeassistant', null, username);
    expect(credential, `password of ${username} without its credential`).not.toBeNull();
    if (credential?.userId === HA.alice.id) expect(await store.mfa.getSecret('totp', HA.alice.id)).toBe(HA.totpSecret);
  }
}

describe.each(BOTH_STORES)('importing Home Assistant into %s', (_kind, harness) => {
  const context = openStorePerTest(harness);
  let store: Store;
  beforeEach(() => {
    store = context.store;
  });

  it('writes 16 records once, and nothing at all the second time', async () => {
    const first = countingWrites(store);
    expect(await importInto(first.store)).toMatchObject({ kind: 'planned', written: 16 });
    expect(first.counter.writes).toBe(16);

    const second = countingWrites(store);
    const outcome = await importInto(second.store);
    expect(outcome).toMatchObject({ kind: 'planned', written: 0 });
    expect(outcome.kind === 'planned' && outcome.plan.steps.every((step) => step.status === 'present')).toBe(true);
    expect(second.counter.writes).toBe(0);
  });

  it('completes, on a second run, an import that stopped after any number of writes', async () => {
    await importInto(store);
    const onePass = await dumpStore(store);
    const total = 16;
    for (let crashAfter = 0; crashAfter < total; crashAfter += 1) {
      const fresh = await harness.open();
      try {
        await expect(importInto(countingWrites(fresh.store, crashAfter).store)).rejects.toBeInstanceOf(Crash);
        await expectNoHalfLogins(fresh.store);
        const resumed = countingWrites(fresh.store);
        expect(await importInto(resumed.store)).toMatchObject({ written: total - crashAfter });
        expect(await dumpStore(fresh.store)).toEqual(onePass);
      } finally {
        await fresh.cleanup();
      }
    }
  });

  it("keeps onboarding closed when Home Assistant was onboarded, though its owner was deleted", async () => {
    const config = copyFixture();
    try {
      editStorage(config.dir, 'auth', (file) => {
        const users = file.data.users as Array<Record<string, unknown>>;
        for (const user of users) user.is_owner = false;
      });
      const outcome = await importFromHomeAssistant(store, config.dir, { resolution: 'stop', now: NOW });
      expect(outcome.kind === 'planned' && outcome.plan.steps[0]).toMatchObject({ kind: 'onboarding', status: 'new' });
      expect((await store.users.listUsers()).filter((user) => user.isOwner)).toEqual([]);
      expect(await store.users.isOnboarded()).toBe(true);
      expect(await store.users.createUser(aUser({ isOwner: true }), { asOwner: true, onboarding: true })).toBe(false);
    } finally {
      config.cleanup();
    }
  });

  it('leaves onboarding open when Home Assistant was not onboarded and has no owner', async () => {
    const config = copyFixture();
    try {
      rmSync(join(config.dir, '.storage', 'onboarding'));
      editStorage(config.dir, 'auth', (file) => {
        for (const user of file.data.users as Array<Record<string, unknown>>) user.is_owner = false;
      });
      const outcome = await importFromHomeAssistant(store, config.dir, { resolution: 'stop', now: NOW });
      expect(outcome.kind === 'planned' && outcome.plan.steps.some((step) => step.kind === 'onboarding')).toBe(false);
      expect(await store.users.isOnboarded()).toBe(false);
    } finally {
      config.cleanup();
    }
  });

  it('with replace, deletes a token that holds an imported id and announces its end on the bus', async () => {
    const alice = { id: HA.alice.id, name: 'Alice', isOwner: true, isActive: true, systemGenerated: false, localOnly: false, groupIds: ['system-admin'], createdAt: NOW };
    await store.users.createUser(alice, { asOwner: true });
    const { envelope } = initialEnvelope('refreshToken', {
      id: HA.tokens.aliceApp,
      userId: HA.alice.id,
      clientId: 'https://elsewhere.example/',
      clientName: null,
      clientIcon: null,
      tokenType: 'normal',
      createdAt: NOW,
      accessTokenExpirationS: 1800,
      jwtKey: newSecret(),
      credentialId: null,
      version: null,
    });
    const otherSecret = newSecret();
    await store.refreshTokens.create({ id: HA.tokens.aliceApp, userId: HA.alice.id, tokenHash: sha256Hex(otherSecret) }, envelope);
    const ended: string[] = [];
    store.revocations.subscribe((id) => ended.push(id));
    await store.revocations.publish(['warm-up']);
    await expect.poll(() => ended).toEqual(['warm-up']);

    const data = readHomeAssistantConfig(FIXTURE_DIR);
    if (!data.ok) throw new Error('fixture unreadable');
    const stopped = await planImport(store, data.data, { resolution: 'stop', now: NOW });
    const conflict = stopped.steps.find((step) => step.status === 'conflict');
    expect(conflict).toMatchObject({
      kind: 'refresh token',
      conflict: 'the id holds another token here (client_id, created_at, jwt_key, credential_id, version differ); the id holds a token with another secret here',
    });
    await applyPlan(await planImport(store, data.data, { resolution: 'replace', now: NOW }));
    await expect.poll(() => ended).toEqual(['warm-up', HA.tokens.aliceApp]);
    expect(await store.refreshTokens.findIdByTokenHash(sha256Hex(otherSecret))).toBeNull();
    expect((await planImport(store, data.data, { resolution: 'stop', now: NOW })).steps.every((step) => step.status === 'present')).toBe(true);
  });
});
