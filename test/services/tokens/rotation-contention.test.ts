/**
 * A rotation that keeps losing its race (issue 17): the store's compare-and-set and exchange answer
 * that another write came first, every time, until the service gives up with TooMuchContentionError
 * (a 503 on the wire). Nothing is left behind: the family holds exactly the token it held, and no
 * successor exists that nobody has the secret of.
 */
import { describe, expect, it } from 'vitest';
import { HA_VERSION } from '../../../src/domain/version.js';
import { TooMuchContentionError } from '../../../src/runtime/actor-handle.js';
import { refreshTokenService } from '../../../src/services/tokens/refresh-tokens.js';
import type { CasResult, Envelope, RefreshTokenStore, Store } from '../../../src/stores/types.js';
import { openStorePerTest } from '../../stores/contract.js';
import { aUser } from '../../support/fixtures.js';
import { silentLogger } from '../../support/logger.js';
import { BOTH_STORES } from '../../support/stores.js';

const POLICY = { rotateRefreshTokens: true, graceMs: 60_000, familyLifetimeMs: null };

/** The store, but every write of a refresh token's record loses to a newer one that is never stored. */
function alwaysOutraced(store: Store): { store: Store; attempts: () => number } {
  let attempts = 0;
  const lose = async (id: string, expectedRev: number): Promise<CasResult> => {
    attempts += 1;
    const stored = (await store.refreshTokens.load(id)) as Envelope;
    return { ok: false, current: { ...stored, rev: expectedRev + 1 } };
  };
  const refreshTokens: RefreshTokenStore = { ...store.refreshTokens, compareAndSet: lose, exchange: lose };
  return { store: { ...store, refreshTokens }, attempts: () => attempts };
}

describe.each(BOTH_STORES)('a rotation that never wins its compare-and-set (%s)', (_, harness) => {
  const context = openStorePerTest(harness);

  it('gives up, and the family holds exactly its one live token afterwards', async () => {
    const now = Date.UTC(2026, 11, 6, 12);
    const user = aUser();
    await context.store.users.createUser(user);
    const created = await refreshTokenService(context.store, () => now, silentLogger(), HA_VERSION).create(user, {
      clientId: 'https://app.example/',
      ip: null,
      family: { id: 'first', generation: 1, predecessorId: null, expiresAt: null },
    });
    const contended = alwaysOutraced(context.store);
    const tokens = refreshTokenService(contended.store, () => now + 1000, silentLogger(), HA_VERSION);
    const presented = await tokens.findPresented(created.secret);
    if (presented === null) throw new Error('the token is not found by its secret');
    await expect(tokens.rotate(presented, created.secret, '192.0.2.1', POLICY)).rejects.toThrow(TooMuchContentionError);
    expect(contended.attempts()).toBeGreaterThan(1);
    const listed = await context.store.refreshTokens.listByUser(user.id);
    expect(listed.map(({ id }) => id)).toEqual([created.id]);
    expect(await context.store.refreshTokens.load(created.id)).toEqual(presented.record.envelope);
  });
});
