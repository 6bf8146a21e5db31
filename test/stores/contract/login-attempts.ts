/**
 * Contract: failed-login accounting and IP bans (types.ts `LoginAttemptStore`, ha-auth-spec §11):
 * counts per address within a sliding window, the ban written by the failure that reaches the
 * threshold (exactly once among racing ones), resets, bans that never expire, lifting, and watchers
 * told of each ban and lift.
 */
import { describe, expect, it } from 'vitest';
import type { BanWatcher } from '../../../src/stores/types.js';
import { eventually, letShortTtlPass, newId, SHORT_TTL_MS, type ContractContext } from './context.js';

/** A fresh IPv6 address (the 128 bits of a new id), so that tests sharing one Redis never meet. */
export function anAddress(): string {
  return (newId().match(/.{4}/g) ?? []).join(':');
}

const HOUR_MS = 3_600_000;
const BANNED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

export function describeLoginAttempts(context: ContractContext): void {
  const attempts = () => context.store.loginAttempts;
  const fail = (ip: string, threshold = 5, windowMs = HOUR_MS, now = BANNED_AT) => attempts().recordFailure(ip, { threshold, windowMs, now });

  describe('login attempts', () => {
    it('counts failures per address and bans at the threshold, with the time it was given', async () => {
      const [ip, other] = [anAddress(), anAddress()];
      expect(await attempts().failureCount(ip)).toBe(0);
      expect(await fail(ip, 3)).toEqual({ count: 1, banned: false });
      expect(await fail(ip, 3)).toEqual({ count: 2, banned: false });
      expect(await attempts().isBanned(ip)).toBe(false);
      expect(await fail(other, 3)).toEqual({ count: 1, banned: false });
      expect(await fail(ip, 3)).toEqual({ count: 3, banned: true });
      expect(await attempts().isBanned(ip)).toBe(true);
      expect(await attempts().isBanned(other)).toBe(false);
      expect(await attempts().listBans()).toEqual([{ ip, bannedAt: BANNED_AT }]);
      // Past the threshold the count goes on; the ban is not written again.
      expect(await fail(ip, 3, HOUR_MS, BANNED_AT + 1000)).toEqual({ count: 4, banned: false });
      expect(await attempts().listBans()).toEqual([{ ip, bannedAt: BANNED_AT }]);
      expect(await attempts().failureCount(ip)).toBe(4);
      expect(await attempts().failureCount(other)).toBe(1);
    });

    it('gives the ban to exactly one of several failures racing past the threshold', async () => {
      const ip = anAddress();
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => fail(ip, 5)));
      expect(outcomes.map((outcome) => outcome.count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(outcomes.filter((outcome) => outcome.banned)).toEqual([{ count: 5, banned: true }]);
      expect(await attempts().listBans()).toEqual([{ ip, bannedAt: BANNED_AT }]);
    });

    it('resetFailures forgets the count (a successful login), and the next failure counts 1', async () => {
      const ip = anAddress();
      await fail(ip);
      await fail(ip);
      await attempts().resetFailures(ip);
      expect(await attempts().failureCount(ip)).toBe(0);
      expect(await fail(ip)).toEqual({ count: 1, banned: false });
      await attempts().resetFailures(anAddress());
    });

    it('forgets a count the window after its last failure; each failure slides the window', async () => {
      const ip = anAddress();
      expect(await fail(ip, 5, SHORT_TTL_MS)).toEqual({ count: 1, banned: false });
      expect(await fail(ip, 5, SHORT_TTL_MS)).toEqual({ count: 2, banned: false });
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await attempts().failureCount(ip)).toBe(0));
      expect(await fail(ip, 5, SHORT_TTL_MS)).toEqual({ count: 1, banned: false });
    });

    it('keeps a ban when the count is forgotten: bans never lift by themselves', async () => {
      const ip = anAddress();
      expect(await fail(ip, 1, SHORT_TTL_MS)).toEqual({ count: 1, banned: true });
      await letShortTtlPass(context.clock);
      await eventually(async () => expect(await attempts().failureCount(ip)).toBe(0));
      expect(await attempts().isBanned(ip)).toBe(true);
      await attempts().resetFailures(ip);
      expect(await attempts().isBanned(ip)).toBe(true);
    });

    it('lists every ban oldest first, and lifts one with its count', async () => {
      const [first, second, third] = [anAddress(), anAddress(), anAddress()];
      await fail(second, 1, HOUR_MS, BANNED_AT + 2);
      await fail(first, 1, HOUR_MS, BANNED_AT + 1);
      await fail(third, 2, HOUR_MS, BANNED_AT + 3);
      await fail(third, 2, HOUR_MS, BANNED_AT + 3);
      expect(await attempts().listBans()).toEqual([
        { ip: first, bannedAt: BANNED_AT + 1 },
        { ip: second, bannedAt: BANNED_AT + 2 },
        { ip: third, bannedAt: BANNED_AT + 3 },
      ]);
      expect(await attempts().liftBan(third)).toBe(true);
      expect(await attempts().liftBan(third)).toBe(false);
      expect(await attempts().isBanned(third)).toBe(false);
      expect(await attempts().failureCount(third)).toBe(0);
      // Lifted, the address starts from nothing: its next failure does not ban it again at once.
      expect(await fail(third, 2)).toEqual({ count: 1, banned: false });
      expect((await attempts().listBans()).map((ban) => ban.ip)).toEqual([first, second]);
      expect(await attempts().liftBan(anAddress())).toBe(false);
      // Lifting an address that is not banned changes nothing, its count included.
      expect(await attempts().liftBan(third)).toBe(false);
      expect(await attempts().failureCount(third)).toBe(1);
    });

    it('tells a watcher it is listening, then each ban and lift in order, and nothing after it stops', async () => {
      const heard: string[] = [];
      const watcher: BanWatcher = {
        listening: () => heard.push('listening'),
        interrupted: () => heard.push('interrupted'),
        changed: (ip, banned) => heard.push(`${banned ? '+' : '-'}${ip}`),
      };
      const stop = attempts().watchBans(watcher);
      await eventually(async () => expect(heard).toEqual(['listening']));
      const [ip, other] = [anAddress(), anAddress()];
      await fail(ip, 2);
      await fail(ip, 2);
      await fail(ip, 2);
      await attempts().liftBan(other);
      await fail(other, 1);
      await attempts().liftBan(ip);
      await eventually(async () => expect(heard).toEqual(['listening', `+${ip}`, `+${other}`, `-${ip}`]));
      stop();
      await attempts().liftBan(other);
      // Changes arrive in order: once a later one reached another watcher, this one's would have arrived.
      const probed: string[] = [];
      const stopProbe = attempts().watchBans({ ...watcher, listening: () => probed.push('listening'), changed: (changed) => probed.push(changed) });
      await eventually(async () => expect(probed[0]).toBe('listening'));
      const last = anAddress();
      await fail(last, 1);
      await eventually(async () => expect(probed).toContain(last));
      stopProbe();
      expect(heard).toEqual(['listening', `+${ip}`, `+${other}`, `-${ip}`]);
    });
  });
}
