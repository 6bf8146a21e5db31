/**
 * `BENCH_ONLY=peer` rewrites only the node-oidc-provider section of bench/RESULTS.md
 * (bench/results-report.ts `withPeerSection`): the rest of the file, which only a full run writes,
 * stays as it was, and a file without the section gets it before its notes.
 */
import { describe, expect, it } from 'vitest';
import type { Measured } from '../../bench/load.js';
import { peerTargets } from '../../bench/peer-comparison.js';
import { withPeerSection, type PeerComparison, type PeerRowId } from '../../bench/results-report.js';

const ids: PeerRowId[] = ['barePost', 'peer', 'peerRotating', 'redis', 'redisRotating', 'embedded', 'shared', 'bareGet', 'api'];

function comparison(requestsPerSecond: number): PeerComparison {
  const measured: Measured = { requestsPerSecond, p50Ms: 10, p99Ms: 20, cpuUsPerRequest: 300, requests: 1000, failures: 0, statuses: { 200: 1000 } };
  const rows = ids.map((id) => ({ id, scenario: `row ${id}`, setup: 'setup', rounds: [measured, measured, measured] }));
  return {
    machine: { cpuModel: 'CPU', cores: 2, memoryGiB: 4, node: 'v20', redis: '7.0', kernel: '6', date: '2026-01-01T00:00:00.000Z' },
    peerVersion: '9.13.3',
    settings: { durationS: 10, warmupS: 2, connections: 50 },
    rounds: 3,
    rows,
    targets: peerTargets(rows),
  };
}

const before = ['# Benchmark results', '', '## Scenarios', '', '| a | b |', ''];
const after = ['## Notes', '', '- a note', ''];

describe('the node-oidc-provider section of RESULTS.md', () => {
  it('is added before the notes of a file without it, the rest unchanged', () => {
    const updated = withPeerSection([...before, ...after].join('\n'), comparison(1000));
    expect(updated.startsWith(before.join('\n'))).toBe(true);
    expect(updated.endsWith(after.join('\n'))).toBe(true);
    expect(updated).toContain('## Side by side with node-oidc-provider (issue 16)');
    expect(updated).toContain('| row redis | setup | 1000 (1000–1000) | 20.0 | 300 | — | 0 |');
  });

  it('replaces only itself in a file that has it', () => {
    const first = withPeerSection([...before, ...after].join('\n'), comparison(1000));
    const second = withPeerSection(first, comparison(2000));
    expect(second).toContain('| row redis | setup | 2000 (2000–2000)');
    expect(second).not.toContain('1000 (1000–1000)');
    expect(second.startsWith(before.join('\n'))).toBe(true);
    expect(second.endsWith(after.join('\n'))).toBe(true);
    expect(withPeerSection(second, comparison(2000))).toBe(second);
  });

  it('carries the refresh grant\'s profile and a rotating client\'s, in µs per grant, and is still replaced whole', () => {
    const profiled: PeerComparison = {
      ...comparison(1000),
      profile: {
        store: 'redis', rotating: false, grants: 20_000, concurrency: 50, cpuUsPerGrant: 400,
        byArea: [['src/stores', 0.25], ['a|b', 0.05]], byCaller: [['fastify', 0.5]], functions: [['toEnvelope src/stores/envelope.ts:1', 0.1]],
      },
      rotationProfile: {
        store: 'redis', rotating: true, grants: 20_000, concurrency: 50, cpuUsPerGrant: 800,
        byArea: [['xstate', 0.25]], byCaller: [['src/stores', 0.5]], functions: [['sealEnvelope src/stores/sealing/sealed-places.ts:1', 0.1]],
      },
    };
    const updated = withPeerSection([...before, ...after].join('\n'), profiled);
    expect(updated).toContain("### Where the refresh grant's CPU goes");
    expect(updated).toContain('| src/stores | 25.0 % | 100.0 |');
    expect(updated).toContain('| a\\|b | 5.0 % | 20.0 |');
    expect(updated).toContain('| fastify | 50.0 % | 200.0 |');
    // The rotating client's comes after the refresh grant's, its µs from its own CPU per grant.
    const rotation = updated.indexOf("### Where a rotating client's refresh grant's CPU goes");
    expect(rotation).toBeGreaterThan(updated.indexOf("### Where the refresh grant's CPU goes"));
    expect(updated.slice(rotation)).toContain('| xstate | 25.0 % | 200.0 |');
    expect(updated.slice(rotation)).toContain('| sealEnvelope src/stores/sealing/sealed-places.ts:1 | 10.0 % | 80.0 |');
    expect(withPeerSection(updated, comparison(1000))).toBe(withPeerSection([...before, ...after].join('\n'), comparison(1000)));
  });

  it('reports every target of issue 16 as a ratio of rows of the same rounds', () => {
    const targets = comparison(1000).targets;
    expect(targets.map((target) => target.value)).toEqual(['1.00', '1.00', '1.00', '20 ms', '1.00', '1.00', '1.00']);
    expect(targets.map((target) => target.met)).toEqual([false, true, true, true, true, false, true]);
  });

  it('says how busy each compared process was: CPU per request times its rate, of one core', () => {
    // 300 µs per request at 2000 requests per second: 0.6 of a core.
    const [refresh] = comparison(2000).targets;
    expect(refresh?.why).toContain('row redis (setup) used 300 µs of its process\'s CPU per request (its process busy 0.60 of a core)');
  });
});
