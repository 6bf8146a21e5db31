/**
 * Records deleted as soon as they reach a state: a login flow that is `done` (its code issued) or
 * `aborted` (services/login/login-flows.ts), an MFA setup flow that is `confirmed` or `expired`
 * (services/mfa/mfa-setup-flows.ts), as Home Assistant drops a finished flow. Their live count is always
 * about 0, which reads as broken on the inspection page, so each such transition is also counted per
 * minute in the store (types.ts EndedRecordCounts), and the page shows the last hour's count instead.
 *
 * The count is a transition observer (runtime/observers.ts): it is added right after the transition's
 * write, not in it (the record's compare-and-set stays one script), and not awaited, so a count that
 * fails is logged and the login goes on. Grants and refresh tokens are not here: they stay until
 * their TTL, so their live counts tell.
 */
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import { stateText, type TransitionObserver } from '../../runtime/observers.js';
import type { EndedRecordCounts, EndedState } from '../../stores/types.js';

export const DELETED_ON_REACHING: readonly EndedState[] = [
  { machine: 'loginFlow', state: 'done' },
  { machine: 'loginFlow', state: 'aborted' },
  { machine: 'mfaSetupFlow', state: 'confirmed' },
  { machine: 'mfaSetupFlow', state: 'expired' },
];

export function endedRecordCounter(counts: Pick<EndedRecordCounts, 'count'>, clock: Clock, logger: Logger): TransitionObserver {
  return {
    created: () => undefined,
    transitioned(machine, recordId, _event, snapshot, before) {
      const state = stateText(snapshot.value);
      if (state === stateText(before.value)) return;
      const ended = DELETED_ON_REACHING.find((known) => known.machine === machine && known.state === state);
      if (ended === undefined) return;
      counts.count(ended, clock()).catch((error: unknown) => {
        logger.warn({ err: error instanceof Error ? error.message : String(error), machine, recordId, state }, 'ended record not counted');
      });
    },
  };
}
