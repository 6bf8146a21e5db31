/**
 * A machine's states and transitions as a graph, read from its state nodes (xstate 5's `StateNode`):
 * `node.transitions` holds the `on`, `after`, `onDone` and invoke transitions, and `node.always` the
 * eventless ones, which `machine.definition` and `xstate/graph` leave out. The diagrams in
 * docs/machines/ (machine-mermaid.ts) and the inspection page draw from this.
 *
 * Order is the definition's: states in document order; a state's transitions by event name, and the
 * candidates of one event in the order xstate tries them. So the same definition gives the same graph.
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

export interface GraphState {
  /** The path from the root, joined with '.' (`mfa_select`, `parent.child`). */
  path: string;
  key: string;
  type: AnyStateNode['type'];
  /** For a compound state, the path of its initial child. */
  initial: string | null;
  children: GraphState[];
}

export interface GraphTransition {
  source: string;
  /** The state it leads to; the source itself for a transition without a target. */
  target: string;
  /** The event type; `always` for an eventless transition, `after <delay>` for a delayed one. */
  event: string;
  /** The guard's name (`not(a)`, `and(a, b)` for combinations), null when unguarded. */
  guard: string | null;
}

export interface MachineGraph {
  id: string;
  /** The top-level states; the root's initial one is `initial`. */
  states: GraphState[];
  initial: string | null;
  transitions: GraphTransition[];
}

const pathOf = (node: AnyStateNode) => node.path.join('.');

function childrenOf(node: AnyStateNode): AnyStateNode[] {
  return (Object.values(node.states) as AnyStateNode[]).sort((a, b) => a.order - b.order);
}

function initialOf(node: AnyStateNode): string | null {
  if (node.type !== 'compound') return null;
  const target = node.initial.target[0];
  return target === undefined ? null : pathOf(target);
}

function stateOf(node: AnyStateNode): GraphState {
  return {
    path: pathOf(node),
    key: node.key,
    type: node.type,
    initial: initialOf(node),
    children: childrenOf(node).map(stateOf),
  };
}

/** A guard as written: a name, `{type}`, a higher-order guard (`and`, `or`, `not`), or an inline function. */
export function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const combined = (guard as { guards?: unknown[] }).guards;
    if (Array.isArray(combined)) return `${guard.name}(${combined.map(guardName).join(', ')})`;
    if ('stateValue' in guard) return `stateIn(${JSON.stringify((guard as { stateValue: unknown }).stateValue)})`;
    return guard.name === '' ? 'inline guard' : guard.name;
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return String(guard.type);
  return 'guard';
}

function eventLabel(transition: AnyTransitionDefinition): string {
  const type = transition.eventType as string;
  if (type === '') return 'always';
  const delay = (transition as { delay?: unknown }).delay;
  if (typeof delay === 'number') return `after ${delay}ms`;
  if (typeof delay === 'string') return `after ${delay}`;
  const done = /^xstate\.(done\.state|done\.actor|error\.actor|snapshot)\.(.+)$/.exec(type);
  if (done !== null) return `${done[1]?.replace('.', ' ')}(${done[2]})`;
  if (type === 'xstate.route') return 'route';
  return type;
}

function edgesOf(transition: AnyTransitionDefinition, sources: string[]): GraphTransition[] {
  const guard = transition.guard === undefined ? null : guardName(transition.guard);
  const event = eventLabel(transition);
  const targets = transition.target?.map(pathOf);
  return sources.flatMap((source) =>
    (targets === undefined || targets.length === 0 ? [source] : targets).map((target) => ({ source, target, event, guard })),
  );
}

function transitionsOf(node: AnyStateNode, topLevel: string[]): GraphTransition[] {
  // A handler on the root applies in every state: it is drawn from each top-level state.
  const sources = node.parent === undefined ? topLevel : [pathOf(node)];
  const byEvent = [...node.transitions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const candidates = [...byEvent.flatMap(([, list]) => list), ...(node.always ?? [])];
  return [
    ...candidates.flatMap((transition) => edgesOf(transition, sources)),
    ...childrenOf(node).flatMap((child) => transitionsOf(child, topLevel)),
  ];
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root;
  const states = childrenOf(root).map(stateOf);
  return {
    id: root.id,
    states,
    initial: initialOf(root),
    transitions: transitionsOf(root, states.map((state) => state.path)),
  };
}
