/**
 * Many refreshes of one refresh token at once (a client retrying in a loop, 32 racers; issue 16: 50
 * connections sharing 10 tokens): uses commute (RefreshTokenStore.recordUse), so every one gets an
 * access token with one write and no retry, none compares-and-sets against another, and the token's
 * last use is the latest of them whatever order their writes land in, its expiry slid from it.
 */
import { describe, expect, it } from 'vitest';
import { REFRESH_TOKEN_INACTIVITY_MS } from '../../../machines/refresh-token.js';
import { HA_VERSION } from '../../../src/domain/version.js';
import { refreshTokenService } from '../../../src/services/tokens/refresh-tokens.js';
import type { RefreshTokenStore, Store } from '../../../src/stores/types.js';
import { openStorePerTest } from '../../stores/contract.js';
import { aUser } from '../../support/fixtures.js';
import { silentLogger } from '../../support/logger.js';
import { BOTH_STORES } from '../../support/stores.js';

const RACERS = 32;

/** The store with its token writes counted: recorded uses (and those that lost), compare-and-sets. */
function counting(store: Store) {
  const counts = { recordUse: 0, lostUses: 0, compareAndSet: 0 };
  const records = store.refreshTokens;
  const refreshTokens: RefreshTokenStore = {
    ...records,
    recordUse: async (...args) => {
      counts.recordUse += 1;
      const result = await records.recordUse(...args);
      if (!result.ok) counts.lostUses += 1;
      return result;
    },
    compareAndSet: (...args) => ((counts.compareAndSet += 1), records.compareAndSet(...args)),
  };
  return { store: { ...store, refreshTokens }, counts };
}

describe.each(BOTH_STORES)('a refresh token used by 32 racers at once (%s)', (_, harness) => {
  const context = openStorePerTest(harness);

  it('mints an access token for each with one write and no retry, and keeps the latest use', async () => {
    const created = Date.UTC(2026, 10, 27, 12);
    let now = created;
    const { store, counts } = counting(context.store);
    const tokens = refreshTokenService(store, () => now, silentLogger(), HA_VERSION);
    const user = aUser();
    await context.store.users.createUser(user);
    const { id } = await tokens.create(user, { clientId: 'https://app.example/', ip: null });
    // Each racer's use at its own time, the latest neither first nor last to start.
    const times = Array.from({ length: RACERS }, (_, i) => created + 1000 + ((i * 7) % RACERS));
    const minted = await Promise.all(
      times.map((at, i) => {
        now = at; // read by mintAccessToken before its first await
        return tokens.mintAccessToken(id, `192.0.2.${i}`);
      }),
    );
    expect(minted.every((token) => typeof token === 'string')).toBe(true);
    expect(counts).toEqual({ recordUse: RACERS, lostUses: 0, compareAndSet: 0 });
    const latest = Math.max(...times);
    now = latest;
    expect(await tokens.get(id)).toMatchObject({
      lastUsedAt: latest,
      lastUsedIp: `192.0.2.${times.indexOf(latest)}`,
      expireAt: latest + REFRESH_TOKEN_INACTIVITY_MS,
    });
  });
});
