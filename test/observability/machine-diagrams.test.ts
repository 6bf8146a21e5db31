/**
 * The inspection page's diagrams: DOT from a machine's graph (machine-dot.ts), rendered offline by
 * Graphviz' WebAssembly and checked into an element tree (machine-svg.ts).
 */
import { createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { machines } from '../../machines/index.js';
import { machineDiagram, machineDiagrams, type MachineDiagram } from '../../src/observability/machine-diagrams.js';
import { COUNT_PLACEHOLDER, LAST_HOUR_PLACEHOLDER, machineDot, stateElementId } from '../../src/observability/machine-dot.js';
import { renderSvg, svgTree, type SvgElement } from '../../src/observability/machine-svg.js';

function elements(node: SvgElement | string): SvgElement[] {
  return typeof node === 'string' ? [] : [node, ...node.children.flatMap(elements)];
}

const textOf = (node: SvgElement | string): string => (typeof node === 'string' ? node : node.children.map(textOf).join(''));

const byId = (svg: SvgElement, id: string) => elements(svg).find((element) => element.attributes.id === id);

const sample = createMachine({
  id: 'sample',
  initial: 'idle',
  states: {
    idle: { on: { GO: { target: 'busy', guard: 'isReady' }, 'SAY "HI"\\N': 'idle' } },
    busy: {
      initial: 'working',
      states: { working: { on: { PAUSE: 'paused' } }, paused: { always: 'working' } },
      on: { DONE: 'finished' },
    },
    checking: { always: [{ target: 'finished', guard: 'isDone' }, { target: 'idle' }] },
    finished: { type: 'final' },
  },
});

describe('machine diagrams', () => {
  it('draws every state with its id and a count line, eventless transitions and nested states included', async () => {
    const { svg, states } = await machineDiagram('sample', sample, 1);
    expect(states.map((state) => state.path)).toEqual(['idle', 'busy', 'busy.working', 'busy.paused', 'checking', 'finished']);
    for (const path of ['idle', 'busy.working', 'busy.paused', 'checking', 'finished']) {
      const node = byId(svg, stateElementId('sample', path));
      const texts = elements(node ?? { tag: '', attributes: {}, children: [] }).filter((element) => element.tag === 'text').map(textOf);
      expect(texts, path).toEqual([path.split('.').pop(), COUNT_PLACEHOLDER]);
    }
    const edgeLabels = elements(svg)
      .filter((element) => element.attributes.class === 'edge')
      .map((edge) => edge.children.filter((child) => typeof child !== 'string' && child.tag === 'text').map(textOf).join('\n'));
    expect(edgeLabels).toEqual(expect.arrayContaining(['GO [isReady]', 'always', 'always [isDone]', 'PAUSE', 'DONE', 'SAY "HI"\\N']));
    // A final state has a double border.
    expect(elements(byId(svg, stateElementId('sample', 'finished')) as SvgElement).filter((e) => e.tag === 'path')).toHaveLength(2);
  });

  it('writes names as DOT strings, so that no label escape (\\N) nor quote changes them', () => {
    const dot = machineDot('sample', sample);
    expect(dot).toContain('label="SAY \\"HI\\"\\\\N"');
    expect(dot).toContain(`"busy.working" [id="sample-state-busy.working", label="working\\n${COUNT_PLACEHOLDER}"];`);
  });

  it('gives each machine of machines/index.ts a diagram with a node for every state', async () => {
    const diagrams = await machineDiagrams();
    expect(diagrams.map((diagram) => diagram.name)).toEqual(Object.keys(machines));
    for (const diagram of diagrams) {
      expect(diagram.states.map((state) => state.key)).toEqual(Object.keys(machines[diagram.name as keyof typeof machines].machine.root.states));
      for (const state of diagram.states) expect(byId(diagram.svg, state.element_id), state.element_id).toBeDefined();
      for (const edge of diagram.edges) expect(byId(diagram.svg, edge.element_id)?.attributes.class, edge.element_id).toBe('edge');
    }
    expect(await machineDiagrams()).toBe(diagrams);
  });

  it('names each edge by the states it joins and its events, the creation first, and widens the states counted over the last hour', async () => {
    const refreshToken = (await machineDiagrams()).find((diagram) => diagram.name === 'refreshToken');
    const loginFlow = (await machineDiagrams()).find((diagram) => diagram.name === 'loginFlow') as MachineDiagram;
    const labelOf = (path: string) => elements(byId(loginFlow.svg, stateElementId('loginFlow', path)) as SvgElement).filter((e) => e.tag === 'text').map(textOf);
    // A state whose records are deleted as they reach it is drawn wide enough for its last hour's count.
    expect([labelOf('done'), labelOf('credentials')]).toEqual([['done', LAST_HOUR_PLACEHOLDER], ['credentials', COUNT_PLACEHOLDER]]);
    expect(refreshToken?.edges[0]).toEqual({ from: null, to: 'issued', events: ['create'], element_id: 'refreshToken-start-edge-root' });
    expect(refreshToken?.edges.find((edge) => edge.from === 'issued' && edge.to === 'revoked')?.events).toContain('REVOKE');
    const pairs = refreshToken?.edges.map(({ from, to }) => `${from}→${to}`) ?? [];
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});

describe('svgTree', () => {
  const wrap = (inner: string) => `<?xml version="1.0"?>\n<!-- c -->\n<svg viewBox="0 0 1 1" xmlns="http://www.w3.org/2000/svg">${inner}</svg>\n`;

  it('keeps Graphviz\' elements and attributes, decodes entities, drops namespace declarations', async () => {
    const tree = svgTree(wrap('<g id="a&#45;b" class="node"><title>x&gt;y</title><text xml:space="preserve" x="1"> 7 &amp; 8 </text></g>'));
    expect(tree).toEqual({
      tag: 'svg',
      attributes: { viewBox: '0 0 1 1' },
      children: [{ tag: 'g', attributes: { id: 'a-b', class: 'node' }, children: [
        { tag: 'title', attributes: {}, children: ['x>y'] },
        { tag: 'text', attributes: { x: '1' }, children: [' 7 & 8 '] },
      ] }],
    });
    expect(svgTree(await renderSvg('digraph { a -> b }')).tag).toBe('svg');
  });

  it.each([
    ['a script', '<script>alert(1)</script>'],
    ['an event handler', '<g onclick="alert(1)"></g>'],
    ['a link', '<g xlink:href="https://example.com/"></g>'],
    ['a foreign object', '<foreignObject></foreignObject>'],
    ['an unknown entity', '<text>&nbsp;</text>'],
    ['text outside a text element', '<g>loose</g>'],
    ['an unclosed element', '<g>'],
  ])('refuses %s', (_name, inner) => {
    expect(() => svgTree(wrap(inner))).toThrow(/svg:/);
  });
});
