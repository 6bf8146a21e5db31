/**
 * A machine graph (machine-graph.ts) as Graphviz DOT, for the inspection page's diagrams
 * (machine-svg.ts renders it). Same content as the Mermaid pages of docs/machines/, eventless
 * transitions (`always`) included, laid out left to right:
 *
 *   "[*]" -> "issued"                                      the initial state (a dot)
 *   "issued" [id="refreshToken-state-issued", label="issued\n…"]   a state: its name, then its count
 *   "revoked" [peripheries=2]                              a final state: a double border
 *   "issued" -> "expired" [label="EXPIRE [isPastExpiry]\nUSE [isPastExpiry]"]
 *
 * Transitions between the same two states share one edge, one line per event (in the graph's order).
 * Every element gets an id that starts with the machine's name, so that several diagrams can sit in
 * one page; a state's id (stateElementId) is what the page highlights and where it writes the count
 * (the second line of the label). Compound states are clusters; an edge to or from one is drawn to
 * its initial leaf or from its first leaf, clipped at the cluster (`lhead`, `ltail`).
 */
import type { AnyStateMachine } from 'xstate';
import { machineGraph, type GraphState, type GraphTransition } from './machine-graph.js';

/** What a state's label shows below its name until the page writes the count there. */
export const COUNT_PLACEHOLDER = '…';
/** The same for a state whose records are deleted as they reach it: the page writes `<n> last hour`, so its node is drawn that wide. */
export const LAST_HOUR_PLACEHOLDER = '… last hour';

const FONT = 'Helvetica,Arial,sans-serif';

/** The id of a state's node in the SVG: `<machine>-state-<path>`, unusual characters as `_`. */
export function stateElementId(machine: string, path: string): string {
  return `${machine}-state-${path.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** A DOT double-quoted string: backslashes doubled (no `\N`-style escapes), quotes escaped, `\n` kept as a line break. */
function quoted(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}

const nodeName = (path: string) => quoted(path);
/** The initial pseudo-state of the root (`[*]`, as Mermaid writes it) or of a compound state. */
const startName = (scope: string) => quoted(scope === '' ? '[*]' : `[*] ${scope}`);
const clusterName = (path: string) => `cluster:${path}`;

function attributes(list: Record<string, string | number | undefined>): string {
  const written = Object.entries(list).flatMap(([key, value]) =>
    value === undefined ? [] : [`${key}=${typeof value === 'number' ? value : quoted(value)}`],
  );
  return `[${written.join(', ')}]`;
}

function byPath(states: GraphState[]): Map<string, GraphState> {
  const found = new Map<string, GraphState>();
  const visit = (state: GraphState) => {
    found.set(state.path, state);
    state.children.forEach(visit);
  };
  states.forEach(visit);
  return found;
}

/** The leaf an edge attaches to: the initial (or first) child, down to a state without children. */
function leafOf(state: GraphState, states: Map<string, GraphState>): GraphState {
  if (state.children.length === 0) return state;
  const next = (state.initial === null ? undefined : states.get(state.initial)) ?? state.children[0];
  return next === undefined ? state : leafOf(next, states);
}

function stateLines(machine: string, states: GraphState[], initial: string | null, scope: string, indent: string, lastHour: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  if (initial !== null) {
    lines.push(`${indent}${startName(scope)} ${attributes({ id: `${machine}-start-${scope || 'root'}`, shape: 'point', width: 0.12, label: '' })};`);
  }
  for (const state of states) {
    if (state.children.length === 0) {
      const final = state.type === 'final' ? { peripheries: 2 } : {};
      const label = `${state.key}\n${lastHour.has(state.path) ? LAST_HOUR_PLACEHOLDER : COUNT_PLACEHOLDER}`;
      lines.push(`${indent}${nodeName(state.path)} ${attributes({ id: stateElementId(machine, state.path), label, ...final })};`);
      continue;
    }
    lines.push(`${indent}subgraph ${quoted(clusterName(state.path))} {`);
    lines.push(`${indent}  graph ${attributes({ id: `${machine}-cluster-${state.path}`, label: state.key, style: 'rounded' })};`);
    lines.push(...stateLines(machine, state.children, state.type === 'parallel' ? null : state.initial, state.path, `${indent}  `, lastHour));
    lines.push(`${indent}}`);
  }
  return lines;
}

function initialEdges(machine: string, states: GraphState[], initial: string | null, scope: string, all: Map<string, GraphState>): string[] {
  const lines: string[] = [];
  const target = initial === null ? undefined : all.get(initial);
  if (target !== undefined) {
    const clip = target.children.length > 0 ? { lhead: clusterName(target.path) } : {};
    const id = scope === '' ? startEdgeId(machine) : `${machine}-start-edge-${scope}`;
    lines.push(`  ${startName(scope)} -> ${nodeName(leafOf(target, all).path)} ${attributes({ id, ...clip })};`);
  }
  for (const state of states) {
    if (state.children.length > 0) lines.push(...initialEdges(machine, state.children, state.type === 'parallel' ? null : state.initial, state.path, all));
  }
  return lines;
}

const eventLine = (transition: GraphTransition) => (transition.guard === null ? transition.event : `${transition.event} [${transition.guard}]`);

/** The transitions between the same two states, which share one edge. */
export interface EdgeGroup {
  source: string;
  target: string;
  transitions: GraphTransition[];
  /** The id of its edge in the SVG. */
  elementId: string;
}

/** The edges drawn for `transitions`, in the order (and so with the ids) the diagram has them. */
export function edgeGroups(machine: string, transitions: GraphTransition[]): EdgeGroup[] {
  const grouped = new Map<string, GraphTransition[]>();
  for (const transition of transitions) {
    const key = JSON.stringify([transition.source, transition.target]);
    grouped.set(key, [...(grouped.get(key) ?? []), transition]);
  }
  return [...grouped.values()].map((group, index) => {
    const { source, target } = group[0] as GraphTransition;
    return { source, target, transitions: group, elementId: `${machine}-edge-${index + 1}` };
  });
}

/** The id of the edge from the root's initial pseudo-state: what a record's creation takes. */
export const startEdgeId = (machine: string) => `${machine}-start-edge-root`;

function transitionLines(machine: string, transitions: GraphTransition[], all: Map<string, GraphState>): string[] {
  return edgeGroups(machine, transitions).map(({ source, target, transitions: group, elementId }) => {
    const [from, to] = [all.get(source), all.get(target)];
    const clip = {
      ...(from !== undefined && from.children.length > 0 ? { ltail: clusterName(source) } : {}),
      ...(to !== undefined && to.children.length > 0 ? { lhead: clusterName(target) } : {}),
    };
    const tail = from === undefined ? source : leafOf(from, all).path;
    const head = to === undefined ? target : leafOf(to, all).path;
    const label = group.map(eventLine).join('\n');
    return `  ${nodeName(tail)} -> ${nodeName(head)} ${attributes({ id: elementId, label, ...clip })};`;
  });
}

/** The machine named `machine` (its key in machines/index.ts) as a DOT digraph; `lastHour`: the paths of the states counted over the last hour. */
export function machineDot(machine: string, definition: AnyStateMachine, lastHour: ReadonlySet<string> = new Set()): string {
  const graph = machineGraph(definition);
  const all = byPath(graph.states);
  return [
    `digraph ${quoted(machine)} {`,
    `  graph ${attributes({ id: `${machine}-graph`, rankdir: 'LR', bgcolor: 'transparent', compound: 'true', fontname: FONT, nodesep: 0.35, ranksep: 0.5 })};`,
    `  node ${attributes({ shape: 'box', style: 'rounded', fontname: FONT, fontsize: 12, margin: '0.15,0.05' })};`,
    `  edge ${attributes({ fontname: FONT, fontsize: 10 })};`,
    ...stateLines(machine, graph.states, graph.initial, '', '  ', lastHour),
    ...initialEdges(machine, graph.states, graph.initial, '', all),
    ...transitionLines(machine, graph.transitions, all),
    '}',
  ].join('\n');
}
