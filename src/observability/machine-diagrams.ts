/**
 * What the inspection page draws (`inspect/machines`): for each machine of machines/index.ts, its
 * name, version, states (with the id of each state's node in the diagram), edges (with theirs) and its diagram as an SVG
 * tree (machine-dot.ts → machine-svg.ts). The machines do not change while the process runs, so the
 * diagrams are rendered once, on first use (Graphviz' WebAssembly takes about 100 ms to start).
 */
import type { AnyStateMachine } from 'xstate';
import { machines } from '../../machines/index.js';
import { DELETED_ON_REACHING } from '../services/inspection/ended-records.js';
import { edgeGroups, machineDot, startEdgeId, stateElementId } from './machine-dot.js';
import { machineGraph, type GraphState } from './machine-graph.js';
import { renderSvg, svgTree, type SvgElement } from './machine-svg.js';

export interface DiagramState {
  /** The state's path (`issued`, `parent.child`): what a record's state names. */
  path: string;
  key: string;
  final: boolean;
  /** The id of its node in `svg`. */
  element_id: string;
}

/**
 * An edge of the diagram: the transitions from one state to another (`from` null: the record's
 * creation, from the initial pseudo-state), which the page lights up when a record takes it.
 */
export interface DiagramEdge {
  from: string | null;
  to: string;
  events: string[];
  element_id: string;
}

export interface MachineDiagram {
  name: string;
  version: number;
  initial: string | null;
  /** Every state, parents before their children, in definition order. */
  states: DiagramState[];
  edges: DiagramEdge[];
  svg: SvgElement;
}

function flatten(name: string, states: GraphState[]): DiagramState[] {
  return states.flatMap((state) => [
    { path: state.path, key: state.key, final: state.type === 'final', element_id: stateElementId(name, state.path) },
    ...flatten(name, state.children),
  ]);
}

export async function machineDiagram(name: string, machine: AnyStateMachine, version: number): Promise<MachineDiagram> {
  const graph = machineGraph(machine);
  const lastHour = new Set(DELETED_ON_REACHING.filter((ended) => ended.machine === name).map((ended) => ended.state));
  const svg = svgTree(await renderSvg(machineDot(name, machine, lastHour)));
  const created: DiagramEdge[] = graph.initial === null ? [] : [{ from: null, to: graph.initial, events: ['create'], element_id: startEdgeId(name) }];
  const edges = edgeGroups(name, graph.transitions).map(({ source, target, transitions, elementId }) => ({
    from: source,
    to: target,
    events: [...new Set(transitions.map((transition) => transition.event))],
    element_id: elementId,
  }));
  return { name, version, initial: graph.initial, states: flatten(name, graph.states), edges: [...created, ...edges], svg };
}

let rendered: Promise<MachineDiagram[]> | undefined;

/** Every machine's diagram, in the order of machines/index.ts; rendered on the first call. */
export function machineDiagrams(): Promise<MachineDiagram[]> {
  rendered ??= Promise.all(Object.entries(machines).map(([name, { machine, version }]) => machineDiagram(name, machine, version)));
  // A failed render is not kept: the next call tries again.
  rendered.catch(() => {
    rendered = undefined;
  });
  return rendered;
}
