/**
 * The instance's record counts (services/inspection/record-counts.ts): one store count per cache period
 * whoever asks, every state of every machine, and polling only while someone watches.
 */
import { describe, expect, it, vi } from 'vitest';
import type { EndedState, RecordCounts } from '../../../src/stores/types.js';
import type { StateCounts } from '../../../src/services/inspection/record-counts.js';
import { COUNT_CACHE_MS, COUNT_POLL_MS, recordCountService, withEveryState } from '../../../src/services/inspection/record-counts.js';
import { silentLogger } from '../../support/logger.js';
import { manualTimers } from '../../support/manual-timers.js';

const NONE: RecordCounts = { loginGrant: {}, refreshToken: {}, loginFlow: {}, mfaSetupFlow: {} };

function setUp(answers: Array<RecordCounts | Error>) {
  const clock = { now: 0 };
  const timers = manualTimers(clock);
  const logger = silentLogger();
  let next = 0;
  const countByState = vi.fn(async () => {
    const answer = answers[Math.min(next++, answers.length - 1)] as RecordCounts | Error;
    if (answer instanceof Error) throw answer;
    return answer;
  });
  const endedRecords = { count: vi.fn(async () => undefined), lastHour: vi.fn(async (states: readonly EndedState[]) => states.map((ended) => ({ ...ended, count: 3 }))) };
  const service = recordCountService({ countByState, endedRecords }, () => clock.now, timers, logger);
  /** Fires the poll and lets its count settle. */
  const poll = async () => {
    timers.advance(COUNT_POLL_MS);
    await vi.waitFor(() => expect(timers.pending).toBe(1));
  };
  return { clock, timers, logger, countByState, service, poll };
}

describe('record counts', () => {
  it('lists every state of every machine in definition order, 0 when empty, then unknown states', () => {
    const full = withEveryState({ ...NONE, refreshToken: { revoked: 2, active: 1 } });
    expect(full.refreshToken).toEqual({ issued: 0, redeemed: 0, expired: 0, revoked: 2, active: 1 });
    expect(Object.keys(full.refreshToken)).toEqual(['issued', 'redeemed', 'expired', 'revoked', 'active']);
    expect(Object.keys(full)).toEqual(['loginGrant', 'refreshToken', 'loginFlow', 'mfaSetupFlow']);
  });

  it('counts once per cache period, however many ask, and again after it', async () => {
    const { clock, countByState, service } = setUp([{ ...NONE, loginGrant: { issued: 1 } }, { ...NONE, loginGrant: { issued: 2 } }]);
    const [a, b] = await Promise.all([service.current(), service.current()]);
    expect(a).toBe(b);
    clock.now += COUNT_CACHE_MS - 1;
    expect((await service.current()).live.loginGrant.issued).toBe(1);
    expect(countByState).toHaveBeenCalledTimes(1);
    clock.now += 1;
    expect((await service.current()).live.loginGrant.issued).toBe(2);
    expect(countByState).toHaveBeenCalledTimes(2);
  });

  it('reads the last hour of the states deleted as they are reached with the live counts', async () => {
    const { clock, service } = setUp([NONE]);
    clock.now = 5_000_000;
    expect((await service.current()).lastHour).toEqual({ loginFlow: { done: 3, aborted: 3 }, mfaSetupFlow: { confirmed: 3, expired: 3 } });
  });

  it('tells watchers the counts at once and then only changes; polls only while watched', async () => {
    const { timers, countByState, service, poll } = setUp([
      { ...NONE, loginFlow: { credentials: 1 } },
      { ...NONE, loginFlow: { credentials: 1 } },
      { ...NONE, loginFlow: { done: 1 } },
    ]);
    const heard: StateCounts[] = [];
    const stop = service.watch((counts) => heard.push(counts));
    await vi.waitFor(() => expect(heard).toHaveLength(1));
    await poll();
    expect(heard).toHaveLength(1);
    await poll();
    expect(heard.map((counts) => counts.live.loginFlow)).toEqual([
      { credentials: 1, mfa_select: 0, mfa: 0, done: 0, aborted: 0 },
      { credentials: 0, mfa_select: 0, mfa: 0, done: 1, aborted: 0 },
    ]);
    stop();
    expect(timers.pending).toBe(0);
    timers.advance(COUNT_POLL_MS * 3);
    expect(countByState).toHaveBeenCalledTimes(3);
  });

  it('logs a store that does not answer once, keeps polling, and tells the watchers when it is back', async () => {
    const { logger, service, poll } = setUp([new Error('Redis is down'), new Error('Redis is down'), NONE]);
    const heard: StateCounts[] = [];
    service.watch((counts) => heard.push(counts));
    await vi.waitFor(() => expect(logger.warn).toHaveBeenCalledTimes(1));
    await poll();
    expect(heard).toHaveLength(0);
    await poll();
    expect(heard).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    await expect(service.current()).resolves.toEqual(heard[0]);
  });

  it('stop ends every watch', async () => {
    const { timers, service } = setUp([NONE]);
    service.watch(() => undefined);
    service.stop();
    expect(timers.pending).toBe(0);
  });
});
