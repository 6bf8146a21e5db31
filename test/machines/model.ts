/**
 * Model-based tests for the lifecycle machines. `xstate/graph` explores a machine with sample events;
 * every generated path is then replayed the way the store runs a lifecycle (ARCHITECTURE.md, "Every
 * write is a compare-and-set"): one pure `transition` per event, and the result goes through JSON and
 * back before the next event, as if another instance loaded it. Restoring uses
 * `machine.resolveState({ value, context })`, as src/stores/envelope.ts does: it rebuilds the active
 * state nodes and the `status` (`done` in a final state) from the value alone, whereas
 * `machine.restoreSnapshot` takes the whole persisted object plus an actor scope (for child actors,
 * which these machines do not have).
 *
 * Coverage is measured against the machine definition itself: adding a state, an event handler or a
 * guarded branch without a sample event that reaches it makes the model tests fail.
 * The helpers handle flat machines (one active leaf state), which all three lifecycles are.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import type {
  AnyMachineSnapshot,
  AnyStateMachine,
  AnyStateNode,
  AnyTransitionDefinition,
  EmittedFrom,
  EventObject,
  EventFromLogic,
  InputFrom,
  MachineContext,
  SnapshotFrom,
  StateValue,
} from 'xstate';
import { getShortestPaths, getStateNodes, serializeSnapshot, type StatePath } from 'xstate/graph';
import { machines, type MachineName } from '../../machines/index.js';
import { initialStep, step } from '../../src/runtime/machine-step.js';
import { unchanged } from '../../src/runtime/unchanged.js';
import { toEnvelope } from '../../src/stores/envelope.js';

type Event<M extends AnyStateMachine> = EventFromLogic<M>;
/** What `getShortestPaths` calls a snapshot of `M`. */
type GraphSnapshot<M extends AnyStateMachine> = ReturnType<M['transition']>;

/** The store's round trip: persist to JSON, parse, resolve. */
export function persistAndRestore<M extends AnyStateMachine>(machine: M, snapshot: SnapshotFrom<M>): SnapshotFrom<M>;
export function persistAndRestore(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): AnyMachineSnapshot {
  const { value, context } = persisted(machine, snapshot) as { value: StateValue; context: MachineContext };
  return machine.resolveState({ value, context });
}

/** The persisted JSON of a snapshot, to compare "nothing changed" the way the store sees it. */
export function persisted<M extends AnyStateMachine>(machine: M, snapshot: SnapshotFrom<M>): unknown;
export function persisted(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): unknown {
  return JSON.parse(JSON.stringify(machine.getPersistedSnapshot(snapshot)));
}

export function start<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): SnapshotFrom<M>;
export function start(machine: AnyStateMachine, input: unknown): AnyMachineSnapshot {
  const [snapshot] = initialTransition(machine, input);
  return persistAndRestore(machine, snapshot);
}

export interface Sent<M extends AnyStateMachine> {
  snapshot: SnapshotFrom<M>;
  emitted: Array<EmittedFrom<M>>;
}

/** One stored write: transition, collect the emitted events (`xstate.emit` actions), round trip. */
export function send<M extends AnyStateMachine>(machine: M, snapshot: SnapshotFrom<M>, event: Event<M>): Sent<M>;
export function send(
  machine: AnyStateMachine,
  snapshot: AnyMachineSnapshot,
  event: EventObject,
): { snapshot: AnyMachineSnapshot; emitted: EventObject[] } {
  const [next, actions]: [AnyMachineSnapshot, Array<{ type: string; params?: unknown }>] = transition(
    machine,
    snapshot,
    event,
  );
  const emitted = actions
    .filter((action) => action.type === 'xstate.emit')
    .map((action) => (action.params as { event: EventObject }).event);
  return { snapshot: persistAndRestore(machine, next), emitted };
}

function guardName(definition: AnyTransitionDefinition): string {
  const { guard } = definition;
  if (guard === undefined) return '';
  if (typeof guard === 'string') return ` [${guard}]`;
  return typeof guard === 'function' ? ' [inline guard]' : ` [${guard.type}]`;
}

/** `issued ─REDEEM [isPastLifetime]→ expired`: a source leaf, an event, a branch and its target. */
function transitionName(leaf: AnyStateNode, definition: AnyTransitionDefinition): string {
  const target = definition.target?.map((node) => node.key).join(', ') ?? `${leaf.key} (stays)`;
  return `${leaf.key} ─${definition.eventType}${guardName(definition)}→ ${target}`;
}

function activeLeaf(snapshot: AnyMachineSnapshot): AnyStateNode {
  const leaves = snapshot._nodes.filter((node) => node.type === 'atomic' || node.type === 'final');
  if (leaves.length !== 1 || leaves[0] === undefined) throw new Error('model.ts handles flat machines only');
  return leaves[0];
}

/** Every branch a non-final leaf can take, its own and its ancestors', read from the definition. */
export function definedTransitions(machine: AnyStateMachine): string[] {
  const names: string[] = [];
  for (const leaf of getStateNodes(machine.root).filter((node) => node.type === 'atomic')) {
    for (let node: AnyStateNode | undefined = leaf; node !== undefined; node = node.parent) {
      for (const definitions of node.transitions.values()) {
        names.push(...definitions.map((definition) => transitionName(leaf, definition)));
      }
    }
  }
  if (new Set(names).size !== names.length) throw new Error(`ambiguous transition names: ${names.join('; ')}`);
  return names.sort();
}

/** The branch `event` selects in `snapshot`, or null when the machine ignores the event. */
export function takenTransition(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): string | null {
  const [selected, ...others] = machine.getTransitionData(snapshot, event);
  if (others.length > 0) throw new Error('model.ts handles flat machines only');
  return selected === undefined ? null : transitionName(activeLeaf(snapshot), selected);
}

export interface ModelSpec<M extends AnyStateMachine> {
  machine: M;
  input: InputFrom<M>;
  /** Sample events; the graph offers each state those of the types it handles. */
  events: ReadonlyArray<Event<M>>;
  /** Where to stop exploring, to keep counter-driven state spaces finite. */
  stopWhen?: (snapshot: GraphSnapshot<M>) => boolean;
}

type Path<M extends AnyStateMachine> = StatePath<GraphSnapshot<M>, Event<M>>;

/** The name the service knows `machine` by (machines/index.ts). */
function machineNameOf(machine: AnyStateMachine): MachineName {
  const name = (Object.keys(machines) as MachineName[]).find((key) => machines[key].machine === machine);
  if (name === undefined) throw new Error(`${machine.id} is not one of machines/index.ts`);
  return name;
}

export function generatePaths<M extends AnyStateMachine>(spec: ModelSpec<M>): Array<Path<M>> {
  const { machine } = spec;
  return getShortestPaths(machine, {
    input: spec.input,
    events: spec.events,
    stopWhen: spec.stopWhen,
    limit: 20_000,
    // A vertex is a snapshot together with the branch that led to it, so that every branch, even one
    // that leaves the snapshot unchanged, ends some shortest path.
    serializeState: (snapshot, event, previous) => {
      const via = event && previous ? (takenTransition(machine, previous, event) ?? 'ignored') : 'start';
      return `${serializeSnapshot(snapshot)} via ${via}`;
    },
  });
}

/** The events of a path after its leading `xstate.init` step, with the snapshots before and after each. */
function moves<M extends AnyStateMachine>(path: Path<M>) {
  return path.steps.slice(1).map((step, i) => ({ before: path.steps[i]?.state, event: step.event, after: step.state }));
}

function observable(snapshot: AnyMachineSnapshot | undefined): unknown {
  return snapshot && { value: snapshot.value as unknown, status: snapshot.status, context: snapshot.context as unknown };
}

function describePath<M extends AnyStateMachine>(path: Path<M>): string {
  return path.steps.map((step) => JSON.stringify(step.event)).join(' → ');
}

export function describeModel<M extends AnyStateMachine>(name: string, spec: ModelSpec<M>): void {
  // The checks read only what every machine snapshot has, so they use the machine untyped.
  const machine: AnyStateMachine = spec.machine;
  describe(`${name}: model-based paths`, () => {
    const paths = generatePaths(spec);

    it('replays every path through a persisted JSON snapshot after each step', () => {
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths) {
        const description = describePath(path);
        expect(path.steps[0]?.event.type).toBe('xstate.init');
        let snapshot = start(machine, spec.input);
        expect(observable(snapshot), description).toEqual(observable(path.steps[0]?.state));
        for (const { event, after } of moves(path)) {
          snapshot = send(machine, snapshot, event).snapshot;
          expect(observable(snapshot), description).toEqual(observable(after));
        }
        expect(observable(snapshot), description).toEqual(observable(path.state));
      }
    });

    it("agrees with the service's cheaper step (src/runtime/machine-step.ts) on every move of every path", () => {
      const name = machineNameOf(machine);
      const stepped = (snapshot: AnyMachineSnapshot) => ({ value: snapshot.value as unknown, persisted: persisted(machine, snapshot) });
      // Every path runs on the one scope the machine's steps share, after all the paths before it: anything a step left there would show.
      for (const path of paths) {
        const [initial, initialActions] = initialStep(name, spec.input as never);
        const [expectedInitial, expectedInitialActions] = initialTransition(machine, spec.input);
        expect(stepped(initial)).toEqual(stepped(expectedInitial));
        expect(initialActions.map((action) => action.params)).toEqual(expectedInitialActions.map((action) => action.params));
        for (const { before, event } of moves(path)) {
          if (before === undefined) continue;
          const [after, actions] = step(name, persistAndRestore(machine, before) as never, event as never);
          const [expected, expectedActions] = transition(machine, persistAndRestore(machine, before), event);
          expect({ event, ...stepped(after as AnyMachineSnapshot) }).toEqual({ event, ...stepped(expected) });
          expect(actions.map((action) => [action.type, action.params])).toEqual(expectedActions.map((action) => [action.type, action.params]));
        }
      }
    });

    it("persists every snapshot of every path as xstate does, text for text, and sees a change exactly where the text changes", () => {
      const name = machineNameOf(machine);
      const text = (snapshot: AnyMachineSnapshot) => JSON.stringify(machine.getPersistedSnapshot(snapshot));
      let kept = 0;
      for (const path of paths) {
        for (const { after: reached } of moves(path)) {
          expect(JSON.stringify(toEnvelope(name, reached as never, 1).snapshot)).toBe(text(reached));
          // Every sample event from every state reached, those it ignores included.
          const from = persistAndRestore(machine, reached);
          for (const event of spec.events) {
            const [after] = transition(machine, from, event);
            expect(unchanged(from, after), `${describePath(path)}, then ${event.type}`).toBe(text(from) === text(after));
            if (text(from) === text(after)) kept += 1;
          }
        }
      }
      expect(kept).toBeGreaterThan(0);
    });

    it('reaches every state of the machine', () => {
      const reached = new Set(paths.flatMap((path) => path.steps.flatMap((step) => step.state._nodes)));
      const missing = getStateNodes(machine.root).filter((node) => !reached.has(node));
      expect(missing.map((node) => node.id)).toEqual([]);
    });

    it('takes every transition of the machine', () => {
      const taken = new Set<string>();
      for (const path of paths) {
        for (const { before, event } of moves(path)) {
          const name = before && takenTransition(machine, before, event);
          if (name) taken.add(name);
        }
      }
      expect([...taken].sort()).toEqual(definedTransitions(machine));
    });

    it('changes nothing and emits nothing once in a final state', () => {
      const finals = new Map(paths.filter((p) => p.state.status === 'done').map((p) => [serializeSnapshot(p.state), p.state]));
      expect(finals.size).toBeGreaterThan(0);
      for (const final of finals.values()) {
        for (const event of spec.events) {
          const { snapshot, emitted } = send(machine, persistAndRestore(machine, final), event);
          expect({ event, persisted: persisted(machine, snapshot), emitted }).toEqual({
            event,
            persisted: persisted(machine, final),
            emitted: [],
          });
        }
      }
    });
  });
}
