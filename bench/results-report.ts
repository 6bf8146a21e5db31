/**
 * bench/RESULTS.md from one run of bench/run.ts: the machine, one row per scenario, the targets of
 * issue 7 each met or not (and, when not, what the numbers say about why), and the details a reader
 * needs to trust the rows (seeding, store round trips per request, memory).
 *
 * The side-by-side with node-oidc-provider (issue 16, bench/peer-comparison.ts) is a section of its
 * own, with its own machine line and targets: `BENCH_ONLY=peer` rewrites that section alone
 * (`withPeerSection`) and keeps the rest of the file, which only a full run writes.
 */
import { renderProfile, type RefreshProfile } from './profile-refresh.js';
import type { Measured, LoadSettings } from './load.js';
import type { Machine } from './machine.js';
import type { Failover } from './sentinel-failover.js';
import type { IdleSockets } from './websocket-load.js';

export interface Row {
  scenario: string;
  /** What was measured, in a few words (store, pool sizes). */
  setup: string;
  measured: Measured;
  /** The bare route measured just before, which the row's ratio is to (none: no ratio). */
  bare?: Measured;
  /** Redis' own CPU per request (µs), when the scenario ran on the bench's private Redis. */
  redisCpuUs?: number;
  /** Store round trips per request by operation (store-operations.ts `perRequest`). */
  roundTrips?: string;
}

export interface Target {
  what: string;
  goal: string;
  value: string;
  met: boolean;
  /** What the numbers say, when the target is not met. */
  why?: string;
}

export interface Report {
  machine: Machine;
  settings: LoadSettings;
  rows: Row[];
  idle: IdleSockets | null;
  failovers: Failover[];
  targets: Target[];
  peer: PeerComparison;
  notes: string[];
}

export type PeerRowId = 'barePost' | 'peer' | 'peerRotating' | 'redis' | 'redisRotating' | 'embedded' | 'shared' | 'bareGet' | 'api';
export type PeerMeasured = Measured & { redisCpuUs?: number };

export interface PeerRow {
  id: PeerRowId;
  scenario: string;
  setup: string;
  /** One measurement per round. */
  rounds: PeerMeasured[];
}

export interface PeerComparison {
  machine: Machine;
  peerVersion: string;
  settings: LoadSettings;
  rounds: number;
  rows: PeerRow[];
  targets: Target[];
  /** Where the refresh grant's CPU went (bench/profile-refresh.ts), run after the rounds. */
  profile?: RefreshProfile;
  /** The same for a rotating client's grants. */
  rotationProfile?: RefreshProfile;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function renderReport(report: Report): string {
  const { machine, settings } = report;
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); every number below comes from that one run, but for the node-oidc-provider section ' +
      'when a later `BENCH_ONLY=peer` run rewrote it (the section says when it ran).',
    '',
    '## Machine',
    '',
    `- CPU: ${machine.cores} × ${machine.cpuModel}; memory ${machine.memoryGiB.toFixed(1)} GiB; Linux ${machine.kernel}`,
    `- Node ${machine.node}, Redis ${machine.redis} (a private redis-server started by the bench, no persistence)`,
    `- Run at ${machine.date}`,
    `- Load: autocannon in the bench's own process, on the same cores as the server, ${settings.connections} connections, ` +
      `${settings.warmupS} s warm-up then ${settings.durationS} s measured per scenario (BENCH_WARMUP, BENCH_DURATION)`,
    '- Server CPU is the server process\'s utime + stime from /proc/<pid>/stat before and after, per request (10 ms ticks);',
    '  Redis CPU is redis-server\'s, the same way.',
    '',
    '## Scenarios',
    '',
    'The bare route (bench/bare-route.ts: Fastify plus the service\'s form-body parser, answering a small JSON, with the same bodies as the refresh grant) ' +
      'is measured again right before each scenario that is compared with it; the ratio is to that run.',
    '',
    '| Scenario | Setup | req/s | p50 ms | p99 ms | server CPU µs/req | Redis CPU µs/req | bare route req/s (CPU µs/req) | ratio to bare | failures |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...report.rows.map(row),
    '',
  ];
  if (report.idle !== null) {
    const { idle } = report;
    lines.push(
      '## Idle authenticated sockets',
      '',
      `${idle.sockets} WebSockets opened and authenticated in ${fixed(idle.openSeconds, 1)} s; the server's RSS went from ` +
        `${mib(idle.rssBeforeBytes)} to ${mib(idle.rssAfterBytes)} MiB after settling: ${fixed(idle.bytesPerSocket / 1024, 1)} KiB per socket.`,
      '',
    );
  }
  if (report.failovers.length > 0) {
    lines.push(
      '## Redis Sentinel failover',
      '',
      'bench/sentinel-failover.ts: one service process on a master, two replicas and three sentinels (down after 500 ms, quorum 2), 16 clients refreshing in a loop; the master killed with SIGKILL.',
      '',
      '| REDIS_MIN_REPLICAS_ACK | kill → replica promoted | kill → first 200 | answers meanwhile | slowest of them |',
      '|---:|---:|---:|---|---:|',
      ...report.failovers.map(
        (failover) =>
          `| ${failover.minReplicasAck} | ${fixed(failover.promotionMs, 0)} ms | ${fixed(failover.firstOkMs, 0)} ms | ` +
          `${Object.entries(failover.meanwhile).map(([status, count]) => `${count} × ${status === '0' ? 'no answer' : status}`).join(', ') || 'none'} | ${fixed(failover.slowestMs, 0)} ms |`,
      ),
      '',
    );
  }
  lines.push('## Targets (issue 7)', '', ...targetLines(report.targets, true));
  lines.push(
    '## Store round trips per request',
    '',
    'As the service counts them (`hass_auth_store_seconds_count` of `GET /metrics`), over the warm-up and the measured part of each scenario.',
    '',
    '| Scenario | Setup | Round trips per request, by store operation |',
    '|---|---|---|',
  );
  for (const entry of report.rows) if (entry.roundTrips !== undefined) lines.push(`| ${entry.scenario} | ${entry.setup} | ${entry.roundTrips || '—'} |`);
  lines.push('', ...renderPeerSection(report.peer), NOTES, '', ...report.notes.map((note) => `- ${note}`), '');
  return lines.join('\n');
}

const PEER_HEADING = '## Side by side with node-oidc-provider (issue 16)';
const NOTES = '## Notes';

function targetLines(targets: Target[], unmetOnly: boolean): string[] {
  const lines = ['| Target | Goal | Measured | Met |', '|---|---|---|---|'];
  for (const target of targets) lines.push(`| ${target.what} | ${target.goal} | ${target.value} | ${target.met ? 'met' : 'not met'} |`);
  lines.push('');
  const explained = targets.filter((target) => (!unmetOnly || !target.met) && target.why !== undefined);
  if (explained.length > 0) {
    lines.push(unmetOnly ? 'Why, for the targets not met:' : 'What the numbers were:', '');
    for (const target of explained) lines.push(`- **${target.what}**: ${target.why}`);
    lines.push('');
  }
  return lines;
}

function renderPeerSection(peer: PeerComparison): string[] {
  const { machine, settings } = peer;
  const cells = (row: PeerRow) => {
    const rates = row.rounds.map((m) => m.requestsPerSecond);
    const redis = row.rounds.some((m) => m.redisCpuUs !== undefined) ? fixed(median(row.rounds.map((m) => m.redisCpuUs ?? Number.NaN)), 0) : '—';
    const failures = row.rounds.reduce((sum, m) => sum + m.failures, 0);
    return `| ${row.scenario} | ${row.setup} | ${fixed(median(rates), 0)} (${fixed(Math.min(...rates), 0)}–${fixed(Math.max(...rates), 0)}) | ${fixed(median(row.rounds.map((m) => m.p99Ms)), 1)} | ${fixed(median(row.rounds.map((m) => m.cpuUsPerRequest)), 0)} | ${redis} | ${failures} |`;
  };
  return [
    PEER_HEADING,
    '',
    `Written by \`BENCH_ONLY=peer npm run bench\` or a full run, at ${machine.date}: ${machine.cores} × ${machine.cpuModel}, Node ${machine.node}, Redis ${machine.redis} (the bench's own). ` +
      `node-oidc-provider ${peer.peerVersion} (bench/oidc-peer.ts: a public client, opaque tokens, no ID token) runs on its documented Redis adapter (bench/oidc-peer-adapter.ts), in a process of its own. ` +
      `${peer.rounds} interleaved rounds, every row once per round, each ${settings.warmupS} s warm-up then ${settings.durationS} s measured at ${settings.connections} connections. ` +
      'A cell is the median over the rounds (req/s: lowest–highest in brackets); server CPU is the answering process\'s, Redis CPU the bench\'s redis-server\'s.',
    '',
    '| Scenario | Setup | req/s (lowest–highest) | p99 ms | server CPU µs/req | Redis CPU µs/req | failures |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...peer.rows.map(cells),
    '',
    '### Targets (issue 16)',
    '',
    'Each ratio is the median over the rounds of that round\'s ratio.',
    '',
    ...targetLines(peer.targets, false),
    ...[peer.profile, peer.rotationProfile].flatMap((profile) => (profile === undefined ? [] : renderProfile(profile))),
  ];
}

/**
 * `document` (RESULTS.md as it is) with its node-oidc-provider section replaced by `peer`'s, from
 * its heading to the next `## ` heading; a document without one gets it before its notes.
 */
export function withPeerSection(document: string, peer: PeerComparison): string {
  const lines = document.split('\n');
  const section = renderPeerSection(peer);
  const start = lines.indexOf(PEER_HEADING);
  if (start === -1) {
    const notes = lines.indexOf(NOTES);
    const at = notes === -1 ? lines.length : notes;
    lines.splice(at, 0, ...section);
    return lines.join('\n');
  }
  const next = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  lines.splice(start, (next === -1 ? lines.length : next) - start, ...section);
  return lines.join('\n');
}

const mib = (bytes: number) => fixed(bytes / 2 ** 20, 1);

function row(entry: Row): string {
  const { measured, bare } = entry;
  const yardstick = bare === undefined ? '—' : `${fixed(bare.requestsPerSecond, 0)} (${fixed(bare.cpuUsPerRequest, 0)})`;
  const ratio = bare === undefined ? '—' : fixed(measured.requestsPerSecond / bare.requestsPerSecond, 2);
  const redis = entry.redisCpuUs === undefined ? '—' : fixed(entry.redisCpuUs, 0);
  return `| ${entry.scenario} | ${entry.setup} | ${fixed(measured.requestsPerSecond, 0)} | ${fixed(measured.p50Ms, 1)} | ${fixed(measured.p99Ms, 1)} | ${fixed(measured.cpuUsPerRequest, 0)} | ${redis} | ${yardstick} | ${ratio} | ${measured.failures} |`;
}
