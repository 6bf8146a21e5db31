/**
 * An instance's copy of the ban list (src/services/bans/ban-copy.ts), over a store whose watch and reads
 * the test drives: trusted only after a full read made while the watch is in place, changes heard
 * during that read replayed on it, distrusted while the watch is interrupted, a failed read tried
 * again later, nothing after stop.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchBanList } from '../../../src/services/bans/ban-copy.js';
import type { BanWatcher, IpBan, LoginAttemptStore } from '../../../src/stores/types.js';
import { silentLogger } from '../../support/logger.js';

function fakeStore() {
  let watcher: BanWatcher | null = null;
  const reads: Array<{ resolve: (bans: IpBan[]) => void; reject: (error: Error) => void }> = [];
  const listBans = vi.fn(() => new Promise<IpBan[]>((resolve, reject) => reads.push({ resolve, reject })));
  const store = {
    listBans,
    watchBans: vi.fn((watching: BanWatcher) => {
      watcher = watching;
      return () => {
        watcher = null;
      };
    }),
  } as unknown as LoginAttemptStore;
  const bans = (...ips: string[]) => ips.map((ip) => ({ ip, bannedAt: 0 }));
  return {
    store,
    listBans,
    get watcher() {
      if (watcher === null) throw new Error('not watching');
      return watcher;
    },
    watching: () => watcher !== null,
    /** Answers the oldest pending read. */
    async answer(...ips: string[]) {
      reads.shift()?.resolve(bans(...ips));
      await Promise.resolve();
      await Promise.resolve();
    },
    async fail() {
      reads.shift()?.reject(new Error('Redis is unavailable'));
      await Promise.resolve();
      await Promise.resolve();
    },
    pendingReads: () => reads.length,
  };
}

describe('the copy of the ban list', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers nothing until the watch is in place and a full read has come back', async () => {
    const fake = fakeStore();
    const copy = watchBanList(fake.store, silentLogger());
    expect(copy.lookup('192.0.2.1')).toBeNull();
    expect(fake.pendingReads()).toBe(0);
    fake.watcher.listening();
    expect(copy.lookup('192.0.2.1')).toBeNull();
    await fake.answer('192.0.2.1');
    expect([copy.lookup('192.0.2.1'), copy.lookup('192.0.2.2')]).toEqual([true, false]);
    expect(fake.listBans).toHaveBeenCalledTimes(1);
  });

  it('replays on the read what it heard while the read ran, in order', async () => {
    const fake = fakeStore();
    const copy = watchBanList(fake.store, silentLogger());
    fake.watcher.listening();
    fake.watcher.changed('192.0.2.1', false);
    fake.watcher.changed('192.0.2.2', true);
    copy.apply('192.0.2.3', true);
    fake.watcher.changed('192.0.2.4', true);
    fake.watcher.changed('192.0.2.4', false);
    await fake.answer('192.0.2.1', '192.0.2.4');
    expect(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'].map((ip) => copy.lookup(ip))).toEqual([false, true, true, false]);
  });

  it('follows every change once trusted', async () => {
    const fake = fakeStore();
    const copy = watchBanList(fake.store, silentLogger());
    fake.watcher.listening();
    await fake.answer();
    fake.watcher.changed('192.0.2.1', true);
    expect(copy.lookup('192.0.2.1')).toBe(true);
    copy.apply('192.0.2.1', false);
    expect(copy.lookup('192.0.2.1')).toBe(false);
  });

  it('distrusts itself while the watch is interrupted, drops a read that was running, and reads again when it is back', async () => {
    const fake = fakeStore();
    const copy = watchBanList(fake.store, silentLogger());
    fake.watcher.listening();
    fake.watcher.interrupted();
    await fake.answer('192.0.2.1');
    expect(copy.lookup('192.0.2.1')).toBeNull();
    expect(fake.pendingReads()).toBe(0);
    fake.watcher.listening();
    await fake.answer('192.0.2.2');
    expect([copy.lookup('192.0.2.1'), copy.lookup('192.0.2.2')]).toEqual([false, true]);
    fake.watcher.interrupted();
    expect(copy.lookup('192.0.2.2')).toBeNull();
    // Interrupted, a lookup does not read: nothing would keep the result current.
    expect(fake.pendingReads()).toBe(0);
  });

  it('after a failed read, asks for the store and reads again at a lookup a second later', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const fake = fakeStore();
    const logger = silentLogger();
    const copy = watchBanList(fake.store, logger);
    fake.watcher.listening();
    await fake.fail();
    expect(logger.warn).toHaveBeenCalledWith({ err: 'Redis is unavailable' }, 'ip bans: could not read the ban list; asking the store on each request');
    expect(copy.lookup('192.0.2.1')).toBeNull();
    expect(fake.pendingReads()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(copy.lookup('192.0.2.1')).toBeNull();
    expect(fake.pendingReads()).toBe(1);
    expect(copy.lookup('192.0.2.1')).toBeNull();
    expect(fake.pendingReads()).toBe(1);
    await fake.answer('192.0.2.1');
    expect(copy.lookup('192.0.2.1')).toBe(true);
  });

  it('stops watching and answers nothing after stop', async () => {
    const fake = fakeStore();
    const copy = watchBanList(fake.store, silentLogger());
    fake.watcher.listening();
    await fake.answer('192.0.2.1');
    copy.stop();
    expect(fake.watching()).toBe(false);
    expect(copy.lookup('192.0.2.1')).toBeNull();
    expect(fake.pendingReads()).toBe(0);
  });
});
