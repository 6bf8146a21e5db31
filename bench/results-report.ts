/**
 * bench/RESULTS.md from one run of bench/run.ts: the machine, one row per scenario, the targets of
 * issue 7 each met or not (and, when not, what the numbers say about why), and the details a reader
 * needs to trust the rows (seeding, store round trips per request, memory).
 */
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
  notes: string[];
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

export function renderReport(report: Report): string {
  const { machine, settings } = report;
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); every number below comes from that one run.',
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
  lines.push('## Targets (issue 7)', '', '| Target | Goal | Measured | Met |', '|---|---|---|---|');
  for (const target of report.targets) lines.push(`| ${target.what} | ${target.goal} | ${target.value} | ${target.met ? 'met' : 'not met'} |`);
  lines.push('');
  const unmet = report.targets.filter((target) => !target.met && target.why !== undefined);
  if (unmet.length > 0) {
    lines.push('Why, for the targets not met:', '');
    for (const target of unmet) lines.push(`- **${target.what}**: ${target.why}`);
    lines.push('');
  }
  lines.push(
    '## Store round trips per request',
    '',
    'As the service counts them (`hass_auth_store_seconds_count` of `GET /metrics`), over the warm-up and the measured part of each scenario.',
    '',
    '| Scenario | Setup | Round trips per request, by store operation |',
    '|---|---|---|',
  );
  for (const entry of report.rows) if (entry.roundTrips !== undefined) lines.push(`| ${entry.scenario} | ${entry.setup} | ${entry.roundTrips || '—'} |`);
  lines.push('', '## Notes', '', ...report.notes.map((note) => `- ${note}`), '');
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
