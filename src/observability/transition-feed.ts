/**
 * The inspection page's live feed (`inspect/subscribe_transitions`): a transition observer
 * (runtime/observers.ts) that publishes each written creation and transition on the store's
 * transition channel (types.ts TransitionChannel), which reaches the watchers of every instance.
 *
 * The notice is built from an allowlist, never by removing what is known to be secret: the machine,
 * the record's id, the event's type, the state left and the state reached, this instance and the
 * time. Nothing else of the event (a PKCE proof, a credential, a form's input) or of the context (a
 * `jwtKey`, an MFA secret, a token's hash) is read, so a field added to either later stays out.
 *
 * While nobody watches anywhere, the channel says so (`wanted`) and nothing is built.
 */
import type { MachineName } from '../../machines/index.js';
import type { Clock } from '../domain/clock.js';
import { stateText, type ObservedSnapshot, type TransitionObserver } from '../runtime/observers.js';
import type { TransitionChannel, TransitionNotice } from '../stores/types.js';

/** The notice of one write: only these fields, whatever the event and snapshots hold. */
export function transitionNotice(
  machine: MachineName,
  recordId: string,
  event: { type: string },
  before: Pick<ObservedSnapshot, 'value'> | null,
  after: Pick<ObservedSnapshot, 'value'>,
  instance: string,
  at: number,
): TransitionNotice {
  return { machine, recordId, event: String(event.type), from: before === null ? null : stateText(before.value), to: stateText(after.value), instance, at };
}

export function transitionFeed(channel: TransitionChannel, instance: string, clock: Clock): TransitionObserver {
  return {
    created(machine, recordId, snapshot) {
      if (channel.wanted()) channel.publish(transitionNotice(machine, recordId, { type: 'create' }, null, snapshot, instance, clock()));
    },
    transitioned(machine, recordId, event, snapshot, before) {
      if (channel.wanted()) channel.publish(transitionNotice(machine, recordId, event, before, snapshot, instance, clock()));
    },
  };
}
