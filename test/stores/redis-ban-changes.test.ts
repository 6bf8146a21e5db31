/**
 * Bans and lifts heard across instances on Redis (src/stores/redis/ban-changes.ts): one store's
 * watcher hears what another store on the same prefix banned or lifted, and nothing of another
 * prefix; while Redis is away the watcher hears `interrupted`, and `listening` once it is subscribed
 * again, after which changes are heard again.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBanChange } from '../../src/stores/redis/ban-changes.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { BanWatcher, Store } from '../../src/stores/types.js';
import { storeOnPrivateRedis } from '../support/private-redis.js';
import { deleteKeysUnder, eventually, REDIS_URL, testSealer, uniquePrefix } from './redis-harness.js';

const FAILURE = { threshold: 1, windowMs: 60_000, now: 1_700_000_000_000 };

function recorder(): { heard: string[]; watcher: BanWatcher } {
  const heard: string[] = [];
  return {
    heard,
    watcher: {
      listening: () => heard.push('listening'),
      interrupted: () => heard.push('interrupted'),
      changed: (ip, banned) => heard.push(`${banned ? '+' : '-'}${ip}`),
    },
  };
}

describe('redis ban changes between instances', () => {
  const stores: Store[] = [];
  const prefixes: string[] = [];
  const open = async (prefix: string) => {
    const store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(prefixes.splice(0).map((prefix) => deleteKeysUnder(prefix)));
  });

  it("hear the other instance's bans and lifts, in order, and nothing from another prefix", async () => {
    const [prefix, otherPrefix] = [uniquePrefix(), uniquePrefix()];
    prefixes.push(prefix, otherPrefix);
    const [a, b, elsewhere] = [await open(prefix), await open(prefix), await open(otherPrefix)];
    const [onB, onElsewhere] = [recorder(), recorder()];
    b.loginAttempts.watchBans(onB.watcher);
    elsewhere.loginAttempts.watchBans(onElsewhere.watcher);
    await eventually(async () => expect([onB.heard, onElsewhere.heard]).toEqual([['listening'], ['listening']]), 2_000);
    await a.loginAttempts.recordFailure('192.0.2.1', FAILURE);
    await a.loginAttempts.recordFailure('2001:db8::1', FAILURE);
    await a.loginAttempts.liftBan('192.0.2.1');
    await eventually(async () => expect(onB.heard).toEqual(['listening', '+192.0.2.1', '+2001:db8::1', '-192.0.2.1']), 2_000);
    // A change on the other prefix after a's: once it arrives, a's would have arrived before it.
    await elsewhere.loginAttempts.recordFailure('192.0.2.9', FAILURE);
    await eventually(async () => expect(onElsewhere.heard).toEqual(['listening', '+192.0.2.9']), 2_000);
  });
});

describe('redis ban changes while Redis goes away', () => {
  const redis = storeOnPrivateRedis();

  it('tell interrupted when the subscription is lost, listening once it is back, and deliver changes again', async () => {
    const store = await redis.open();
    const { heard, watcher } = recorder();
    store.loginAttempts.watchBans(watcher);
    await eventually(async () => expect(heard).toEqual(['listening']), 2_000);

    await redis.stopRedis();
    await eventually(async () => expect(heard).toEqual(['listening', 'interrupted']), 2_000);
    await redis.startRedis();
    await eventually(async () => expect(heard.at(-1)).toBe('listening'), 8_000);
    expect(heard.filter((entry) => entry === 'listening')).toHaveLength(2);
    await eventually(async () => {
      await store.loginAttempts.recordFailure('192.0.2.1', FAILURE);
      expect(heard).toContain('+192.0.2.1');
    }, 2_000);
  });

  it('start listening only once Redis is back when it was away at the first watch', async () => {
    const store = await redis.open();
    await redis.stopRedis();
    // Redis' port answers nothing Redis would: each connection is dropped at once, and counted, so
    // the test waits for the store's attempts (a counter that moves), not for time to pass.
    let attempts = 0;
    const refuser = createServer((socket) => {
      attempts += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => refuser.listen(Number(new URL(redis.url).port), '127.0.0.1', resolve));
    const { heard, watcher } = recorder();
    store.loginAttempts.watchBans(watcher);
    const before = attempts;
    await expect.poll(() => attempts - before, { timeout: 8_000 }).toBeGreaterThanOrEqual(3);
    expect(heard).toEqual([]);
    await new Promise<void>((resolve, reject) => refuser.close((error) => (error === undefined ? resolve() : reject(error))));
    await redis.startRedis();
    await eventually(async () => expect(heard).toEqual(['listening']), 8_000);
  });
});

describe('redis ban change messages', () => {
  it('reads +ip and -ip and ignores anything else', () => {
    expect(parseBanChange('+192.0.2.1')).toEqual({ ip: '192.0.2.1', banned: true });
    expect(parseBanChange('-2001:db8::1')).toEqual({ ip: '2001:db8::1', banned: false });
    expect(parseBanChange('+')).toBeNull();
    expect(parseBanChange('')).toBeNull();
    expect(parseBanChange('["rt1"]')).toBeNull();
  });
});
