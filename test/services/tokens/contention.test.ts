/**
 * Many refreshes of one refresh token at once (a client retrying in a loop, 32 racers): every one
 * gets an access token, none a 500, although the writes of its use keep losing the race.
 */
import { describe, expect, it } from 'vitest';
import { HA_VERSION } from '../../../src/domain/version.js';
import { refreshTokenService } from '../../../src/services/tokens/refresh-tokens.js';
import { openStorePerTest } from '../../stores/contract.js';
import { aUser } from '../../support/fixtures.js';
import { silentLogger } from '../../support/logger.js';
import { BOTH_STORES } from '../../support/stores.js';

describe.each(BOTH_STORES)('a refresh token used by 32 racers (%s)', (_, harness) => {
  const context = openStorePerTest(harness);

  it('mints an access token for each of them', async () => {
    let now = Date.UTC(2026, 10, 27, 12);
    const tokens = refreshTokenService(context.store, () => now, silentLogger(), HA_VERSION);
    const user = aUser();
    await context.store.users.createUser(user);
    const { id } = await tokens.create(user, { clientId: 'https://app.example/', ip: null });
    now += 1000;
    const minted = await Promise.all(Array.from({ length: 32 }, (_, i) => tokens.mintAccessToken(id, `192.0.2.${i}`)));
    expect(minted.every((token) => typeof token === 'string')).toBe(true);
  });
});
