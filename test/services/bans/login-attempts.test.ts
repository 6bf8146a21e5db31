/**
 * The failed-login service (src/services/bans/login-attempts.ts) on both stores: Home Assistant's WARNING
 * texts (ha-auth-spec §11) without query values, counting only with bans on and a threshold ≥ 1, one
 * "Banned IP" line per ban, addresses normalized, and accounting that never throws.
 */
import { describe, expect, it, vi } from 'vitest';
import { banKey, loginAttemptService, withoutQueryValues, type LoginAttemptPolicy } from '../../../src/services/bans/login-attempts.js';
import { openSqliteStore } from '../../../src/stores/sqlite/sqlite-store.js';
import { StoreUnavailableError } from '../../../src/stores/types.js';
import { openStorePerTest } from '../../stores/contract.js';
import { silentLogger } from '../../support/logger.js';
import { BOTH_STORES } from '../../support/stores.js';

const NOW = Date.UTC(2026, 5, 1);
const ON: LoginAttemptPolicy = { ipBanEnabled: true, loginAttemptsThreshold: 2 };
const FAILED = { url: '/api/', userAgent: 'curl/8.5.0' };

const warning = (ip: string, url = '/api/', agent = 'curl/8.5.0') =>
  `Login attempt or request with invalid authentication from ${ip} (${ip}). Requested URL: '${url}'. (${agent})`;

describe.each(BOTH_STORES)('login attempts service (%s)', (_kind, harness) => {
  const context = openStorePerTest(harness);
  const service = (policy = ON) => {
    const logger = silentLogger();
    return { logger, attempts: loginAttemptService(context.store, () => NOW, logger, policy) };
  };

  it("logs Home Assistant's warning for every failure and the ban once, when the threshold is reached", async () => {
    const { logger, attempts } = service();
    await attempts.recordFailure('203.0.113.9', FAILED);
    expect(await attempts.isBanned('203.0.113.9')).toBe(false);
    await attempts.recordFailure('203.0.113.9', { url: '/auth/token', userAgent: null });
    expect(await attempts.isBanned('203.0.113.9')).toBe(true);
    await attempts.recordFailure('203.0.113.9', FAILED);
    expect(logger.warn.mock.calls).toEqual([
      [{ ip: '203.0.113.9' }, warning('203.0.113.9')],
      [{ ip: '203.0.113.9' }, warning('203.0.113.9', '/auth/token', 'None')],
      [{ ip: '203.0.113.9' }, 'Banned IP 203.0.113.9 for too many login attempts'],
      [{ ip: '203.0.113.9' }, warning('203.0.113.9')],
    ]);
    expect(await attempts.listBans()).toEqual([{ ip: '203.0.113.9', bannedAt: NOW }]);
  });

  it('leaves query values out of the logged URL: a signed path carries its signature there', async () => {
    const { logger, attempts } = service();
    await attempts.recordFailure('203.0.113.9', { url: '/api/?authSig=eyJhbGciOi.eyJpc3Mi.c2lnbmF0dXJl&x', userAgent: null });
    expect(logger.warn).toHaveBeenCalledWith({ ip: '203.0.113.9' }, warning('203.0.113.9', '/api/?authSig=***&x', 'None'));
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain('eyJ');
  });

  it('a success forgets the count', async () => {
    const { attempts } = service();
    await attempts.recordFailure('203.0.113.9', FAILED);
    await attempts.recordSuccess('203.0.113.9');
    await attempts.recordFailure('203.0.113.9', FAILED);
    expect(await attempts.isBanned('203.0.113.9')).toBe(false);
    expect(await context.store.loginAttempts.failureCount('203.0.113.9')).toBe(1);
  });

  it.for([
    { policy: { ipBanEnabled: true, loginAttemptsThreshold: -1 }, label: 'threshold -1' },
    { policy: { ipBanEnabled: true, loginAttemptsThreshold: 0 }, label: 'threshold 0' },
    { policy: { ipBanEnabled: false, loginAttemptsThreshold: 1 }, label: 'bans off' },
  ])('with $label, logs the warning but counts and bans nothing, touching no counter', async ({ policy }) => {
    const { logger, attempts } = service(policy);
    const recordFailure = vi.spyOn(context.store.loginAttempts, 'recordFailure');
    const resetFailures = vi.spyOn(context.store.loginAttempts, 'resetFailures');
    await attempts.recordFailure('203.0.113.9', FAILED);
    await attempts.recordSuccess('203.0.113.9');
    expect(logger.warn).toHaveBeenCalledWith({ ip: '203.0.113.9' }, warning('203.0.113.9'));
    expect([recordFailure.mock.calls.length, resetFailures.mock.calls.length]).toEqual([0, 0]);
  });

  it('answers ban checks from its copy of the ban list once it has one, asking the store before', async () => {
    await context.store.loginAttempts.recordFailure('203.0.113.8', { threshold: 1, windowMs: 60_000, now: NOW });
    const isBanned = vi.spyOn(context.store.loginAttempts, 'isBanned');
    const { attempts } = service();
    expect(await attempts.isBanned('203.0.113.8')).toBe(true);
    expect(isBanned).toHaveBeenCalledTimes(1);
    // Once the copy has been read, a check is no round trip.
    await vi.waitFor(async () => {
      const before = isBanned.mock.calls.length;
      expect(await attempts.isBanned('203.0.113.8')).toBe(true);
      expect(isBanned.mock.calls.length).toBe(before);
    });
    const asked = isBanned.mock.calls.length;
    expect(await attempts.isBanned('203.0.113.9')).toBe(false);
    await attempts.recordFailure('203.0.113.9', FAILED);
    await attempts.recordFailure('203.0.113.9', FAILED);
    expect(await attempts.isBanned('203.0.113.9')).toBe(true);
    expect(await attempts.lift('203.0.113.9')).toBe(true);
    expect(await attempts.isBanned('203.0.113.9')).toBe(false);
    expect(isBanned.mock.calls.length).toBe(asked);
    attempts.stop();
  });

  it('with bans off, no address is banned and the store is not asked', async () => {
    await context.store.loginAttempts.recordFailure('203.0.113.9', { threshold: 1, windowMs: 60_000, now: NOW });
    const { attempts } = service({ ipBanEnabled: false, loginAttemptsThreshold: 5 });
    const isBanned = vi.spyOn(context.store.loginAttempts, 'isBanned');
    expect(await attempts.isBanned('203.0.113.9')).toBe(false);
    expect(isBanned).not.toHaveBeenCalled();
  });

  it('keys addresses by their normalized text, an IPv4-mapped address as the IPv4 address', async () => {
    const { attempts } = service();
    await attempts.recordFailure('::ffff:203.0.113.9', FAILED);
    await attempts.recordFailure('203.0.113.9', FAILED);
    await attempts.recordFailure('2001:DB8:0:0:0:0:0:1', FAILED);
    await attempts.recordFailure('2001:db8::1', FAILED);
    expect((await attempts.listBans()).map((ban) => ban.ip).sort()).toEqual(['2001:db8::1', '203.0.113.9']);
    expect(await attempts.isBanned('::ffff:203.0.113.9')).toBe(true);
    expect(await attempts.lift('::FFFF:203.0.113.9')).toBe(true);
    expect(await attempts.isBanned('203.0.113.9')).toBe(false);
  });
});

describe('login attempts service when the store fails', () => {
  it('never throws from accounting: it logs that it could not count', async () => {
    const store = openSqliteStore({ dataDir: ':memory:' });
    const logger = silentLogger();
    const attempts = loginAttemptService(store, () => NOW, logger, ON);
    vi.spyOn(store.loginAttempts, 'recordFailure').mockRejectedValue(new StoreUnavailableError('Redis is unavailable'));
    vi.spyOn(store.loginAttempts, 'resetFailures').mockRejectedValue(new StoreUnavailableError('Redis is unavailable'));
    await expect(attempts.recordFailure('203.0.113.9', FAILED)).resolves.toBeUndefined();
    await expect(attempts.recordSuccess('203.0.113.9')).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledWith({ err: 'Redis is unavailable' }, 'could not update the failed-login count');
    attempts.stop();
    await store.close();
  });

  it('rejects a ban check that needs the store while the store cannot answer: the caller decides', async () => {
    const store = openSqliteStore({ dataDir: ':memory:' });
    vi.spyOn(store.loginAttempts, 'listBans').mockRejectedValue(new StoreUnavailableError('Redis is unavailable'));
    vi.spyOn(store.loginAttempts, 'isBanned').mockRejectedValue(new StoreUnavailableError('Redis is unavailable'));
    const attempts = loginAttemptService(store, () => NOW, silentLogger(), ON);
    await expect(attempts.isBanned('203.0.113.9')).rejects.toThrow(StoreUnavailableError);
    attempts.stop();
    await store.close();
  });
});

describe('helpers', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::FFFF:CB00:7109', '203.0.113.9'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['not an address', 'not an address'],
  ])('banKey(%j) is %j', (ip, key) => {
    expect(banKey(ip)).toBe(key);
  });

  it.each([
    ['/api/', '/api/'],
    ['/api/?authSig=abc', '/api/?authSig=***'],
    ['/auth/authorize?client_id=x&redirect_uri=y&flag', '/auth/authorize?client_id=***&redirect_uri=***&flag'],
  ])('withoutQueryValues(%j) is %j', (url, logged) => {
    expect(withoutQueryValues(url)).toBe(logged);
  });
});
