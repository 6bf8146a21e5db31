/**
 * The machines on the inspection page: each one's diagram (built from the element tree the server
 * sends), its live count per state (in the table and under each state's name), and the states of
 * one record highlighted.
 */
import { h } from '../lib/dom.js';
import type { Counts, InspectedRecord, MachineInfo, SvgNode } from './types.js';

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

  function updateCounts(counts: Counts): void {
    for (const machine of machines) {
      const rows = Object.entries(counts[machine.name] ?? {}).map(([state, count]) => {
        const header = h('th', { scope: 'row' }, state);
        const row = h('tr', {}, header, h('td', { className: 'count' }, String(count)));
        row.dataset.state = state;
        const node = machine.states.find((known) => known.path === state);
        const texts = node === undefined ? null : document.getElementById(node.element_id)?.querySelectorAll('text');
        const last = texts !== null && texts !== undefined && texts.length > 1 ? texts[texts.length - 1] : undefined;
        if (last !== undefined) last.textContent = String(count);
        return row;
      });
      document.querySelector(`#machine-${machine.name} table.counts tbody`)?.replaceChildren(...rows);
    }
    highlight();
  }

  return { render, updateCounts, highlight };
}
