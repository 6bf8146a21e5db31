/**
 * A machine's pure step, as xstate's `transition(machine, snapshot, event)` and
 * `initialTransition(machine, input)` compute it, without their cost per call: each of those builds
 * an inert actor scope, which means a new actor (whose constructor computes the machine's initial
 * snapshot) and two actor systems, about 18 µs of the 20 µs a refresh token's USE took. Here each
 * machine gets one inert scope, built on first use, and every step only swaps in its own action
 * collector; the step is the machine's own `transition` / `getInitialSnapshot`, as xstate's helpers call it.
 *
 * Sharing the scope keeps the step pure because nothing a step does can reach it: the scope's
 * `defer`, `emit` and `stopChild` do nothing (as xstate's own inert scope), so delayed events are
 * never scheduled, and the one thing a step could leave in the shared system, a child spawned with a
 * `systemId`, cannot happen: the machines spawn and invoke nothing (machines/, which import only
 * xstate's `setup`, `assign`, `emit` and `enqueueActions`). Steps run synchronously, one at a time.
 */
import { createActor, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';
import { machines, type MachineName, type MachineOf } from '../../machines/index.js';

/** An action a step returned for its caller to execute (only `emit`s matter here). */
export interface StepAction {
  type: string;
  params?: unknown;
}

type Snapshot<N extends MachineName> = SnapshotFrom<MachineOf<N>>;

interface InertScope {
  actionExecutor: (action: StepAction) => void;
}

const scopes = new Map<MachineName, InertScope>();
const ignore = () => {};

/** The fields xstate's `createInertActorScope` sets, on an actor that is never started. */
function inertScope(name: MachineName): InertScope {
  let scope = scopes.get(name);
  if (scope === undefined) {
    const self = createActor(machines[name].machine as AnyStateMachine);
    scope = { self, system: self.system, id: '', sessionId: '', defer: ignore, logger: ignore, stopChild: ignore, emit: ignore, actionExecutor: ignore } as InertScope;
    scopes.set(name, scope);
  }
  return scope;
}

/** Runs `compute` with the machine's scope collecting the actions it yields. */
function collecting<T>(name: MachineName, compute: (scope: never) => T): [T, StepAction[]] {
  const scope = inertScope(name);
  const actions: StepAction[] = [];
  scope.actionExecutor = (action) => {
    actions.push(action);
  };
  try {
    return [compute(scope as never), actions];
  } finally {
    scope.actionExecutor = ignore;
  }
}

/** `transition(machine, snapshot, event)`: the next snapshot and the actions to execute. */
export function step<N extends MachineName>(name: N, snapshot: Snapshot<N>, event: EventFromLogic<MachineOf<N>>): [Snapshot<N>, StepAction[]] {
  const machine = machines[name].machine as MachineOf<N>;
  return collecting(name, (scope) => machine.transition(snapshot as never, event as never, scope) as Snapshot<N>);
}

/** `initialTransition(machine, input)`: the initial snapshot and the actions to execute. */
export function initialStep<N extends MachineName>(name: N, input: InputFrom<MachineOf<N>>): [Snapshot<N>, StepAction[]] {
  const machine = machines[name].machine as MachineOf<N>;
  return collecting(name, (scope) => machine.getInitialSnapshot(scope, input as never) as Snapshot<N>);
}
