/**
 * Failed logins and IP bans (types.ts `LoginAttemptStore`): scripts/login-attempt-scripts.ts counts
 * and bans in one round trip and publishes each ban and lift, which ban-changes.ts hands to watchers.
 */
import type { IpBan, LoginAttemptStore } from '../types.js';
import type { RedisBanChanges } from './ban-changes.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

export function redisLoginAttempts(run: Run, keys: RedisKeys, changes: RedisBanChanges): LoginAttemptStore {
  return {
    recordFailure: (ip, { threshold, windowMs, now }) => {
      const args = [ip, String(threshold), String(Math.max(1, Math.ceil(windowMs))), String(now), keys.banChannel];
      return run.write('loginAttempts.recordFailure', (client) => client.loginFailureRecord([keys.loginFailures(ip), keys.ipBans], args));
    },
    failureCount: async (ip) => Number((await run('loginAttempts.failureCount', (client) => client.get(keys.loginFailures(ip)))) ?? 0),
    resetFailures: async (ip) => {
      await run.write('loginAttempts.resetFailures', (client) => client.del(keys.loginFailures(ip)));
    },
    isBanned: async (ip) => (await run('loginAttempts.isBanned', (client) => client.hExists(keys.ipBans, ip))) === 1,
    listBans: async () => {
      const bans = await run('loginAttempts.listBans', (client) => client.hGetAll(keys.ipBans));
      return Object.entries(bans)
        .map(([ip, bannedAt]): IpBan => ({ ip, bannedAt: Number(bannedAt) }))
        .sort((a, b) => a.bannedAt - b.bannedAt || (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
    },
    liftBan: async (ip) =>
      (await run.write('loginAttempts.liftBan', (client) => client.ipBanLift([keys.loginFailures(ip), keys.ipBans], [ip, keys.banChannel]))) === 1,
    watchBans: (watcher) => changes.watch(watcher),
  };
}
