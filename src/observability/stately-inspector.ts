/**
 * The Stately inspector, optional (`STATELY_INSPECT_URL`): every written transition of every
 * persisted record, streamed over `@statelyai/inspect`'s WebSocket inspector to an inspector server
 * (`createInspectorServer` of `@statelyai/inspect/server`, which relays to the Stately inspector UI
 * in a browser). A debugging aid for one instance: each instance streams what it writes.
 *
 * Records are not long-lived actors here (runtime/actor-handle.ts applies pure transitions to
 * stored snapshots), so this tells the inspector what XState's own inspection would: an actor per
 * record id, registered with its machine's definition (so that the inspector can draw it) when the
 * record is created or first seen by this process, then, per transition, the event and the snapshot
 * it reached.
 *
 * Secrets never leave: the inspector's sanitizers are allowlists. A context is reduced to the summary
 * the inspection page shows (services/inspection/record-inspection.ts: no `jwtKey`, no MFA secret, no PKCE
 * challenge, no credential data but the username), an event to the named scalar fields below (no
 * PKCE proof, no credential, no family), so a field added later stays out until it is listed.
 * A record's id is no secret: a code's record is named by its SHA-256.
 */
import { createInspector, createWebSocketInspector } from '@statelyai/inspect';
import type { AnyEventObject } from 'xstate';
import { machines, type MachineName } from '../../machines/index.js';
import type { Logger } from '../domain/logger.js';
import { summarizeContext } from '../services/inspection/record-inspection.js';
import type { ObservedSnapshot, TransitionObserver } from '../runtime/observers.js';

/** Event fields that explain a transition and are no secret (the machines' event types). */
const EVENT_FIELDS = ['now', 'ip', 'reason', 'successorId', 'refreshTokenId', 'moduleId', 'clientId', 'userId', 'valid', 'enable', 'graceMs'];

/** How many record ids this process remembers having registered; an older one is registered again. */
const REMEMBERED_ACTORS = 10_000;

export interface StatelyInspector {
  readonly observer: TransitionObserver;
  /** Closes the inspector's socket. */
  stop(): void;
}

const isScalar = (value: unknown) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** The event's type and its listed scalar fields; anything else is dropped. */
export function sanitizedEvent(event: AnyEventObject): AnyEventObject {
  const kept = EVENT_FIELDS.flatMap((field): Array<[string, unknown]> => (isScalar(event[field]) ? [[field, event[field]]] : []));
  return { type: String(event.type), ...Object.fromEntries(kept) };
}

type Inspector = ReturnType<typeof createWebSocketInspector>;
type ActorRef = Exclude<Parameters<Inspector['actor']>[0], string>;

/**
 * What the inspector reads of an actor: its session id and `logic.config`, the machine's definition,
 * which it sends along (as XState's inspection does for a real actor).
 */
function recordActor(machine: MachineName, recordId: string): ActorRef {
  const ref = {
    sessionId: recordId,
    id: recordId,
    logic: machines[machine].machine,
    send: () => undefined,
    getSnapshot: () => undefined,
  };
  return ref;
}

export function statelyInspector(url: string, logger: Logger): StatelyInspector {
  const socket = createWebSocketInspector({ url });
  // One inspector per machine over the one socket, so that each context gets its machine's allowlist.
  const names = Object.keys(machines) as MachineName[];
  const inspectors = Object.fromEntries(
    names.map((machine) => [
      machine,
      createInspector(socket.adapter, {
        sanitizeContext: (context) => summarizeContext(machine, context),
        sanitizeEvent: sanitizedEvent,
      }),
    ]),
  ) as Record<MachineName, Inspector>;
  const registered = new Set<string>();

  function register(machine: MachineName, recordId: string, snapshot?: ObservedSnapshot) {
    registered.add(recordId);
    if (registered.size > REMEMBERED_ACTORS) registered.delete(registered.values().next().value as string);
    inspectors[machine].actor(recordActor(machine, recordId), snapshot);
  }

  logger.info({ url }, 'streaming transitions to the Stately inspector');
  // Only value, context and status of a snapshot are passed on: the sanitizer sees the context only,
  // and a whole snapshot carries more (`output`, `error`, the machine).
  return {
    observer: {
      created(machine, recordId, { value, context, status }) {
        register(machine, recordId, { value, context, status });
      },
      transitioned(machine, recordId, event, { value, context, status }) {
        if (!registered.has(recordId)) register(machine, recordId);
        inspectors[machine].event(recordId, event);
        inspectors[machine].snapshot(recordId, { value, context, status }, { event });
      },
    },
    stop: () => socket.stop(),
  };
}
