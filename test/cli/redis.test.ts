/**
 * `hass-auth` on Redis: the shared scenarios under a key prefix of their own, and the revocation
 * reaching the other instances on the bus.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HA_VERSION } from '../../src/domain/version.js';
import { refreshTokenService } from '../../src/services/tokens/refresh-tokens.js';
import { aUser } from '../support/fixtures.js';
import { silentLogger } from '../support/logger.js';
import { eventually } from '../stores/redis-harness.js';
import { describeCliOn } from './cli-scenarios.js';
import { FAST_HASHES, hassAuth, redisCliStore, type CliStore } from './cli-process.js';

describeCliOn(redisCliStore);

describe('hass-auth token revoke on Redis', { timeout: 60_000 }, () => {
  let cliStore: CliStore | undefined;
  afterEach(async () => {
    await cliStore?.cleanup();
  });

  it('announces the revocation on the bus, so a running instance closes the sockets of that token', async () => {
    cliStore = redisCliStore.create();
    const store = await cliStore.open();
    try {
      const user = aUser();
      await store.users.createUser(user);
      const { id } = await refreshTokenService(store, Date.now, silentLogger(), HA_VERSION).create(user, { clientId: 'https://app.example/', ip: null });
      const heard: string[] = [];
      store.revocations.subscribe((tokenId) => heard.push(tokenId));
      // A publish waits for this instance's own subscription: once it is heard, the CLI's will be too.
      await store.revocations.publish(['warm-up']);
      await eventually(async () => expect(heard).toEqual(['warm-up']), 3_000);

      const result = await hassAuth(['token', 'revoke', id], { ...cliStore.env, ...FAST_HASHES });
      expect(result).toEqual({ code: 0, stdout: 'Token revoked\n', stderr: '' });
      await eventually(async () => expect(heard).toEqual(['warm-up', id]), 3_000);
    } finally {
      await store.close();
    }
  });
});
