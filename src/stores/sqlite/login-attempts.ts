/**
 * Failed logins and IP bans (types.ts `LoginAttemptStore`) in `login_failures` and `ip_bans`. Counting
 * is one upsert that restarts an expired count at 1 and returns the new one; the ban, when it is due,
 * is written in the same unit (group-commit.ts: better-sqlite3 runs it synchronously, and the process
 * holds the database alone), so racing failures cannot both ban or both miss the threshold.
 *
 * This process is the database's only writer while it runs (data-dir-lock.ts), so watching the bans
 * is in-process: each ban and lift is told to the watchers once its commit is durable.
 */
import type { Database } from 'better-sqlite3';
import type { BanWatcher, IpBan, LoginAttemptStore } from '../types.js';
import type { GroupCommit } from './group-commit.js';

export function sqliteLoginAttempts(db: Database, group: GroupCommit): LoginAttemptStore {
  const count = db.prepare<{ ip: string; now: number; expiresAt: number }, { count: number }>(`
    INSERT INTO login_failures (ip, count, expires_at) VALUES (@ip, 1, @expiresAt)
    ON CONFLICT (ip) DO UPDATE SET
      count = CASE WHEN login_failures.expires_at <= @now THEN 1 ELSE login_failures.count + 1 END,
      expires_at = excluded.expires_at
    RETURNING count`);
  const ban = db.prepare<[string, number]>('INSERT INTO ip_bans (ip, banned_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const selectCount = db.prepare<[string, number], { count: number }>('SELECT count FROM login_failures WHERE ip = ? AND expires_at > ?');
  const deleteCount = db.prepare<[string]>('DELETE FROM login_failures WHERE ip = ?');
  const selectBan = db.prepare<[string], { ip: string }>('SELECT ip FROM ip_bans WHERE ip = ?');
  const selectBans = db.prepare<[], IpBan>('SELECT ip, banned_at AS bannedAt FROM ip_bans ORDER BY banned_at, ip');
  const deleteBan = db.prepare<[string]>('DELETE FROM ip_bans WHERE ip = ?');

  const recordFailure = (ip: string, threshold: number, windowMs: number, bannedAt: number, now: number) => {
    const { count: failures } = count.get({ ip, now, expiresAt: now + windowMs }) as { count: number };
    const banned = failures >= threshold && ban.run(ip, bannedAt).changes === 1;
    return { count: failures, banned };
  };
  const liftBan = (ip: string) => {
    if (deleteBan.run(ip).changes === 0) return false;
    deleteCount.run(ip);
    return true;
  };

  // One entry per watch call, so that the same watcher watching twice is stopped once per call.
  const watchers = new Set<{ watcher: BanWatcher }>();
  const tell = (ip: string, banned: boolean) => {
    for (const { watcher } of [...watchers]) watcher.changed(ip, banned);
  };

  return {
    recordFailure: async (ip, { threshold, windowMs, now: bannedAt }) => {
      const outcome = await group.write((now) => recordFailure(ip, threshold, windowMs, bannedAt, now));
      if (outcome.banned) tell(ip, true);
      return outcome;
    },
    failureCount: (ip) => group.read((now) => selectCount.get(ip, now)?.count ?? 0),
    resetFailures: (ip) =>
      group.write(() => {
        deleteCount.run(ip);
      }),
    isBanned: (ip) => group.read(() => selectBan.get(ip) !== undefined),
    listBans: () => group.read(() => selectBans.all()),
    liftBan: async (ip) => {
      const lifted = await group.write(() => liftBan(ip));
      if (lifted) tell(ip, false);
      return lifted;
    },
    watchBans: (watcher) => {
      const entry = { watcher };
      watchers.add(entry);
      // In place at once; told after the caller has returned, as a remote watch would be.
      queueMicrotask(() => {
        if (watchers.has(entry)) watcher.listening();
      });
      return () => {
        watchers.delete(entry);
      };
    },
  };
}
