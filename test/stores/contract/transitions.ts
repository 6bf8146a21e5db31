/**
 * Contract: the transition channel of the inspection page's live feed (types.ts TransitionChannel)
 * and the per-minute counts of records that end deleted (EndedRecordCounts), which every instance
 * shares. The counts take their times as arguments, so the hour is moved by numbers, not by waiting.
 */
import { describe, expect, it } from 'vitest';
import type { EndedState, TransitionNotice } from '../../../src/stores/types.js';
import { eventually, newId, type ContractContext } from './context.js';

const notice = (recordId: string): TransitionNotice => ({
  machine: 'loginFlow', recordId, event: 'CREDENTIALS_ACCEPTED', from: 'credentials', to: 'done', instance: 'a', at: 1,
});

const DONE: EndedState = { machine: 'loginFlow', state: 'done' };
const CONFIRMED: EndedState = { machine: 'mfaSetupFlow', state: 'confirmed' };
const MINUTE = 60_000;

export function describeTransitions(context: ContractContext): void {
  describe('transition channel', () => {
    it('delivers each notice to every watcher, as published, and nothing once a watch stopped', async () => {
      const channel = context.store.transitions;
      const [first, gone, last] = [newId(), newId(), newId()];
      const heard: TransitionNotice[] = [];
      const stopped: TransitionNotice[] = [];
      channel.watch((got) => heard.push(got));
      const stop = channel.watch((got) => stopped.push(got));
      expect(channel.wanted()).toBe(true);
      channel.publish(notice(first));
      await eventually(async () => expect(stopped.map((got) => got.recordId)).toEqual([first]));
      stop();
      channel.publish(notice(gone));
      channel.publish(notice(last));
      await eventually(async () => expect(heard.map((got) => got.recordId)).toEqual([first, gone, last]));
      expect(heard[0]).toEqual(notice(first));
      expect(stopped).toHaveLength(1);
    });
  });

  describe('ended record counts', () => {
    it('sums the 60 minutes up to now, per machine and state, 0 for none', async () => {
      const counts = context.store.endedRecords;
      const start = 1_800_000 * MINUTE;
      await counts.count(DONE, start);
      await counts.count(DONE, start + 30 * MINUTE);
      await counts.count(DONE, start + 59 * MINUTE + 59_999);
      await counts.count(CONFIRMED, start + 1);
      expect(await counts.lastHour([DONE, CONFIRMED, { machine: 'mfaSetupFlow', state: 'expired' }], start + 59 * MINUTE)).toEqual([
        { ...DONE, count: 3 },
        { ...CONFIRMED, count: 1 },
        { machine: 'mfaSetupFlow', state: 'expired', count: 0 },
      ]);
      // The first minute leaves the window when the sixty-first begins.
      expect(await counts.lastHour([DONE, CONFIRMED], start + 60 * MINUTE)).toEqual([{ ...DONE, count: 2 }, { ...CONFIRMED, count: 0 }]);
      expect(await counts.lastHour([DONE], start + 120 * MINUTE)).toEqual([{ ...DONE, count: 0 }]);
      expect(await counts.lastHour([], start)).toEqual([]);
    });
  });
}
