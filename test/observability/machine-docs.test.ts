import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createMachine, not, type AnyStateMachine } from 'xstate';
import { machines } from '../../machines/index.js';
import { machineDocuments, machineMermaid, mermaidId } from '../../src/observability/machine-mermaid.js';

const DOCS_DIR = new URL('../../docs/machines/', import.meta.url);
const REGENERATE = 'run `npm run machines:docs` and commit docs/machines/';

interface ConfigState {
  type?: string;
  initial?: string;
  states?: Record<string, ConfigState>;
  on?: Record<string, unknown>;
  always?: unknown;
}

interface Candidate {
  target?: string;
  guard?: unknown;
}

const candidates = (config: unknown): Candidate[] =>
  (Array.isArray(config) ? config : [config]).map((c) => (typeof c === 'string' ? { target: c } : (c as Candidate)));

const guardText = (guard: unknown) =>
  typeof guard === 'string' ? guard : `${(guard as { name: string }).name}(${(guard as { guards: string[] }).guards.join(', ')})`;

/**
 * What the diagram must show, read from the machine's config as written (not from the state nodes the
 * generator walks): every state, every candidate of every `on` and `always`, every final state.
 * Targets in these machines name siblings.
 */
function expectedLines(config: ConfigState, parent: string[] = []): { states: string[]; lines: string[] } {
  const states: string[] = [];
  const lines: string[] = [];
  for (const [key, state] of Object.entries(config.states ?? {})) {
    const path = [...parent, key];
    const id = mermaidId(path.join('.'));
    states.push(id);
    if (state.type === 'final') lines.push(`${id} --> [*]`);
    const transitions = [
      ...Object.entries(state.on ?? {}).flatMap(([event, c]) => candidates(c).map((t) => ({ event, t }))),
      ...(state.always === undefined ? [] : candidates(state.always).map((t) => ({ event: 'always', t }))),
    ];
    for (const { event, t } of transitions) {
      const target = t.target === undefined ? id : mermaidId([...parent, t.target].join('.'));
      lines.push(`${id} --> ${target} : ${event}${t.guard === undefined ? '' : ` [${guardText(t.guard)}]`}`);
    }
    const nested = expectedLines(state, path);
    states.push(...nested.states);
    lines.push(...nested.lines);
  }
  return { states, lines };
}

function expectDrawsEverything(machine: AnyStateMachine) {
  const diagram = machineMermaid(machine).split('\n').map((line) => line.trim());
  const { states, lines } = expectedLines(machine.config as ConfigState);
  for (const state of states) expect(diagram.some((line) => line === state || line.endsWith(` as ${state}`) || line === `state ${state} {`), state).toBe(true);
  const edges = diagram.filter((line) => line.includes(' --> ') && !line.startsWith('[*]'));
  expect(edges.sort()).toEqual([...lines].sort());
  expect(diagram).toContain(`[*] --> ${machine.config.initial as string}`);
}

describe('machine diagrams', () => {
  it('match the committed docs/machines/ pages', async () => {
    const documents = machineDocuments(machines);
    const committed = (await readdir(DOCS_DIR)).filter((name) => name.endsWith('.md')).sort();
    expect(committed, `docs/machines/ has not one page per machine of machines/index.ts: ${REGENERATE}`).toEqual(
      documents.map((document) => document.fileName),
    );
    for (const { fileName, content } of documents) {
      const onDisk = await readFile(new URL(fileName, DOCS_DIR), 'utf8');
      expect(onDisk, `docs/machines/${fileName} is stale: ${REGENERATE}`).toBe(content);
    }
  });

  it.each(Object.entries(machines))('draw every state and transition of %s', (_name, { machine }) => {
    expectDrawsEverything(machine);
  });

  it('draw eventless (always) transitions, guarded ones and self-loops, and nested states', () => {
    const machine = createMachine(
      {
        id: 'synthetic',
        initial: 'checking',
        states: {
          checking: { always: [{ guard: 'isReady', target: 'running' }, { guard: not('isReady'), target: 'stopped' }] },
          running: {
            initial: 'idle',
            states: { idle: { on: { WORK: 'busy' } }, busy: { on: { REST: { target: 'idle' }, TICK: {} } } },
            on: { STOP: 'stopped' },
          },
          stopped: { type: 'final' },
        },
      },
      { guards: { isReady: () => true } },
    );
    // What `machine.definition` omits: the generator must read `always` from the state nodes.
    expect(machine.definition.states.checking?.on).toEqual({});
    expectDrawsEverything(machine);
    const diagram = machineMermaid(machine);
    expect(diagram).toContain('checking --> running : always [isReady]');
    expect(diagram).toContain('checking --> stopped : always [not(isReady)]');
    expect(diagram).toContain('running__busy --> running__busy : TICK');
    expect(diagram).toContain('state running {\n    [*] --> running__idle');
    expect(diagram).toContain('stopped --> [*]');
  });

  it('draw a handler on the root from every top-level state', () => {
    const machine = createMachine({ id: 'rooted', initial: 'a', on: { RESET: '.a' }, states: { a: { on: { GO: 'b' } }, b: {} } });
    const diagram = machineMermaid(machine);
    expect(diagram).toContain('a --> a : RESET');
    expect(diagram).toContain('b --> a : RESET');
  });

  it('come out in the same order whatever the order of machines/index.ts', () => {
    const reversed = Object.fromEntries(Object.entries(machines).reverse());
    expect(machineDocuments(reversed)).toEqual(machineDocuments(machines));
  });
});
