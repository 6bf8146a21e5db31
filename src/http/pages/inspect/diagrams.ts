/**
 * The machines on the inspection page: each one's diagram (built from the element tree the server
 * sends), its live count per state (in the table and under each state's name; for a state whose
 * records are deleted as they reach it, the count of the last hour, labelled so), the states of one
 * record highlighted with the path its history took, and the edge a record just took lit up.
 */
import { h } from '../lib/dom.js';
import type { CountsEvent, HistoryEntry, InspectedRecord, MachineInfo, SvgNode, TransitionNotice } from './types.js';

/** Between two steps of a record's path as it is drawn, in seconds (the page's CSS animates each). */
const PATH_STEP_S = 0.4;

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(node: SvgNode | string): Node {
  if (typeof node === 'string') return document.createTextNode(node);
  const element = document.createElementNS(SVG_NS, node.tag);
  for (const [name, value] of Object.entries(node.attributes)) element.setAttribute(name, value);
  for (const child of node.children) element.append(build(child));
  return element;
}

export function machineDiagrams(box: HTMLElement) {
  let machines: MachineInfo[] = [];
  let highlighted: InspectedRecord | null = null;

  function render(list: MachineInfo[]): void {
    machines = list;
    box.replaceChildren(...list.map((machine) => {
      const svg = build(machine.svg) as SVGElement;
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', `State diagram of ${machine.name}`);
      const table = h('table', { className: 'counts' }, h('caption', {}, 'Live records'), h('tbody'));
      const section = h('section', { className: 'machine', id: `machine-${machine.name}` },
        h('h2', {}, `${machine.name} `, h('small', {}, `version ${machine.version}`)),
        h('div', { className: 'machine-body' }, h('figure', { className: 'diagram' }, svg), table));
      return section;
    }));
  }

  /** Marks the states of `record` (null: none; undefined: the one marked before, after a redraw); returns the last state's node. */
  function highlight(record?: InspectedRecord | null): Element | null {
    if (record !== undefined) highlighted = record;
    for (const element of document.querySelectorAll('.current')) element.classList.remove('current');
    const shown = highlighted;
    const machine = shown === null ? undefined : machines.find((known) => known.name === shown.machine);
    if (shown === null || machine === undefined) return null;
    let node: Element | null = null;
    for (const path of shown.state_paths) {
      const state = machine.states.find((known) => known.path === path);
      node = state === undefined ? null : document.getElementById(state.element_id);
      node?.classList.add('current');
      document.querySelector(`#machine-${machine.name} tr[data-state="${CSS.escape(path)}"]`)?.classList.add('current');
    }
    return node;
  }

  const edgeOf = (machine: MachineInfo, from: string | null, to: string) => machine.edges.find((edge) => edge.from === from && edge.to === to);
  const machineNamed = (name: string) => machines.find((known) => known.name === name);

  /** Adds `className` to the element again, so that its CSS animation plays from the start. */
  function replay(element: Element | null, className: string): void {
    if (element === null) return;
    element.classList.remove(className);
    // Reading the layout ends the removed class' animation before the class comes back.
    element.getBoundingClientRect();
    element.classList.add(className);
  }

  /** Lights up the edge a record just took and the state it reached; each machine keeps its last one marked. */
  function flash(notice: TransitionNotice): void {
    const machine = machineNamed(notice.machine);
    if (machine === undefined) return;
    for (const element of document.querySelectorAll(`#machine-${CSS.escape(machine.name)} .taken`)) element.classList.remove('taken');
    const edge = edgeOf(machine, notice.from, notice.to);
    const state = machine.states.find((known) => known.path === notice.to);
    replay(edge === undefined ? null : document.getElementById(edge.element_id), 'taken');
    replay(state === undefined ? null : document.getElementById(state.element_id), 'taken');
  }

  /** Draws the path of a record's history on its machine's diagram: each edge and state it went through, in order. */
  function showPath(machineName: string | null, history: HistoryEntry[]): void {
    for (const element of document.querySelectorAll('.visited')) element.classList.remove('visited');
    const machine = machineName === null ? undefined : machineNamed(machineName);
    if (machine === undefined) return;
    const steps = history.filter((entry) => entry.machine === machine.name);
    steps.forEach((entry, index) => {
      const edge = edgeOf(machine, entry.from, entry.to);
      const state = machine.states.find((known) => known.path === entry.to);
      for (const id of [edge?.element_id, state?.element_id]) {
        const element = id === undefined ? null : document.getElementById(id);
        if (!(element instanceof SVGElement)) continue;
        // The CSS animation of `.visited` lights each step after the one before (CSSOM, which the CSP allows).
        element.style.animationDelay = `${index * PATH_STEP_S}s`;
        element.classList.add('visited');
      }
    });
  }

  function updateCounts({ counts, last_hour: lastHour }: CountsEvent): void {
    for (const machine of machines) {
      const ended = lastHour[machine.name] ?? {};
      const rows = Object.entries(counts[machine.name] ?? {}).map(([state, live]) => {
        // Records deleted as they reach this state: the live count is always about 0, the last hour's tells.
        const hourly = ended[state];
        const count = hourly ?? live;
        const header = h('th', { scope: 'row' }, state, ...(hourly === undefined ? [] : [' ', h('small', {}, '(last hour)')]));
        const row = h('tr', {}, header, h('td', { className: 'count' }, String(count)));
        row.dataset.state = state;
        const node = machine.states.find((known) => known.path === state);
        const texts = node === undefined ? null : document.getElementById(node.element_id)?.querySelectorAll('text');
        const last = texts !== null && texts !== undefined && texts.length > 1 ? texts[texts.length - 1] : undefined;
        if (last !== undefined) last.textContent = hourly === undefined ? String(count) : `${count} last hour`;
        return row;
      });
      document.querySelector(`#machine-${machine.name} table.counts tbody`)?.replaceChildren(...rows);
    }
    highlight();
  }

  return { render, updateCounts, highlight, flash, showPath };
}
