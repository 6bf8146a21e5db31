/**
 * The WebSocket scenarios of bench/run.ts, with the tests' client (test/support/ws-client.ts):
 * - handshake cycles: `connections` clients in a loop of connect → `auth` → `auth/current_user` →
 *   close, as a frontend tab that opens and goes; each cycle is timed from connect to closed;
 * - idle sockets: many authenticated sockets left open, and the server's resident memory per socket.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TestSocket } from '../test/support/ws-client.js';
import type { LoadSettings, Measured } from './load.js';
import { cpuMicros, residentBytes } from './process-stats.js';

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number);
}

async function cycle(baseUrl: string, accessToken: string): Promise<void> {
  const client = await TestSocket.authenticated({ baseUrl }, accessToken);
  const user = (await client.result({ type: 'auth/current_user' })) as { id?: unknown };
  if (typeof user.id !== 'string') throw new Error(`auth/current_user answered ${JSON.stringify(user)}`);
  client.close();
  await client.closedWithin();
}

/** Cycles for `seconds`, `connections` at a time; latencies in ms, failures counted. */
async function cycles(baseUrl: string, tokens: string[], connections: number, seconds: number) {
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async (index: number) => {
    const token = tokens[index % tokens.length] as string;
    while (performance.now() < end) {
      const started = performance.now();
      try {
        await cycle(baseUrl, token);
        latencies.push(performance.now() - started);
      } catch {
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, index) => loop(index)));
  return { latencies: latencies.sort((a, b) => a - b), failures };
}

export async function measureHandshakes(baseUrl: string, pid: number, tokens: string[], settings: LoadSettings): Promise<Measured> {
  const { connections } = settings;
  await cycles(baseUrl, tokens, connections, settings.warmupS);
  const before = cpuMicros(pid);
  const started = performance.now();
  const { latencies, failures } = await cycles(baseUrl, tokens, connections, settings.durationS);
  const seconds = (performance.now() - started) / 1000;
  return {
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuUsPerRequest: (cpuMicros(pid) - before) / latencies.length,
    requests: latencies.length,
    failures,
    statuses: {},
  };
}

export interface IdleSockets {
  sockets: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerSocket: number;
  openSeconds: number;
}

/**
 * Opens `count` authenticated sockets, `parallel` handshakes at a time, waits `settleMs` (the server's
 * allocations from the handshakes settle, GC runs), and compares the server's RSS with its RSS
 * before. A first round of `parallel` sockets opened and closed beforehand warms the code paths, so
 * that compiled code is not counted as sockets' memory.
 */
export async function measureIdleSockets(baseUrl: string, pid: number, tokens: string[], count: number, parallel = 100, settleMs = 5_000): Promise<IdleSockets> {
  const open = (index: number) => TestSocket.authenticated({ baseUrl }, tokens[index % tokens.length] as string);
  const warm = await Promise.all(Array.from({ length: parallel }, (_, index) => open(index)));
  for (const client of warm) client.close();
  await Promise.all(warm.map((client) => client.closedWithin()));
  await sleep(settleMs);
  const rssBeforeBytes = residentBytes(pid);
  const started = performance.now();
  const clients: TestSocket[] = [];
  try {
    for (let done = 0; done < count; done += parallel) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - done) }, (_, i) => open(done + i)))));
    }
    const openSeconds = (performance.now() - started) / 1000;
    await sleep(settleMs);
    const rssAfterBytes = residentBytes(pid);
    const stillOpen = clients.filter((client) => client.closedAt === null).length;
    if (stillOpen !== count) throw new Error(`${count - stillOpen} of ${count} idle sockets were closed by the server`);
    return { sockets: count, rssBeforeBytes, rssAfterBytes, bytesPerSocket: (rssAfterBytes - rssBeforeBytes) / count, openSeconds };
  } finally {
    for (const client of clients) client.close();
    await Promise.all(clients.map((client) => client.closed));
  }
}
