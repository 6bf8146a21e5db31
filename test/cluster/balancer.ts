/**
 * Real service processes behind a real load balancer on loopback, as production runs them: Debian's
 * haproxy (/usr/sbin/haproxy, which .ci/run installs when missing) in front of N instances of
 * instances.ts on one Redis prefix. The tests of through-balancer.test.ts and the benchmarks share it:
 *
 *   const cluster = await startBalancedCluster();          // instances A, B, C
 *   await fetch(`${cluster.baseUrl}/api/`);                 // answered by one of them
 *   servedBy(response)                                      // 'A' | 'B' | 'C'
 *   await cluster.close();                                  // haproxy, then the instances and their keys
 *
 * What the balancer does, and why:
 * - `balance roundrobin` with `http-reuse never` and no `prefer-last-server`: every request is
 *   balanced on its own, even on a kept-alive client connection, so consecutive requests of one
 *   client rotate A, B, C, A… and a login flow's two steps land on different instances.
 * - `http-response set-header X-Served-By %s`: the name of the instance that answered (upgrade
 *   answers included), so a test proves where a step ran without the service saying anything.
 * - `option forwardfor`: the instances see the client's address in X-Forwarded-For; they are
 *   configured (CONFIG_FILE, `http: use_x_forwarded_for`, `trusted_proxies: [127.0.0.1]`) to
 *   trust it, as Home Assistant behind a proxy is (src/http/forwarded.ts). haproxy adds its own
 *   header line, so a client's own X-Forwarded-For makes two, which the service refuses (400).
 * - `timeout tunnel`: a WebSocket upgraded through haproxy is a tunnel, kept open for an hour of
 *   silence rather than `timeout client`'s minute.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../stores/redis-harness.js';
import { collectOutput, stopChild, untilReady } from '../support/child-process.js';
import type { TestSocket } from '../support/ws-client.js';
import { startCluster, type Instance } from './instances.js';

export const HAPROXY = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';
/** The response header naming the instance that answered. */
export const SERVED_BY = 'x-served-by';
const READY_TIMEOUT_MS = 15_000;

export interface Balancer {
  baseUrl: string;
  /** What haproxy wrote (warnings, alerts). */
  output(): string;
  close(): Promise<void>;
}

export interface BalancedCluster {
  /** The balancer: where clients send every request. */
  baseUrl: string;
  /** The instances behind it, named as X-Served-By names them. */
  instances: Instance[];
  /** The cluster's Redis key prefix. */
  prefix: string;
  /** Stops haproxy, then every instance, then deletes the prefix's keys. */
  close(): Promise<void>;
}

function instanceName(header: string | string[] | null | undefined): string {
  if (typeof header !== 'string') throw new Error(`no single ${SERVED_BY} header: not an answer of the balancer`);
  return header;
}

/** Which instance answered a request sent through the balancer. */
export function servedBy(response: Pick<Response, 'headers'>): string {
  return instanceName(response.headers.get(SERVED_BY));
}

/** Which instance holds a socket opened through the balancer (its upgrade answer says). */
export function upgradedBy(socket: Pick<TestSocket, 'upgradeHeaders'>): string {
  return instanceName(socket.upgradeHeaders[SERVED_BY]);
}

function haproxyConfig(port: number, instances: Array<Pick<Instance, 'name' | 'baseUrl'>>): string {
  const servers = instances.map(({ name, baseUrl }) => `  server ${name} ${new URL(baseUrl).host}`);
  return [
    'global',
    // One thread: the machine's cores are for the instances and the test itself.
    '  nbthread 1',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 1m',
    '  timeout server 1m',
    '  timeout tunnel 1h',
    '  option forwardfor',
    '  http-reuse never',
    'frontend clients',
    `  bind 127.0.0.1:${port}`,
    '  default_backend instances',
    'backend instances',
    '  balance roundrobin',
    '  http-response set-header X-Served-By %s',
    ...servers,
    '',
  ].join('\n');
}

async function answersHealth(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200 && response.headers.has(SERVED_BY);
  } catch {
    return false;
  }
}

/** haproxy in the foreground (`-db`) on a free loopback port, in front of `instances`; resolves once it answers. */
export async function startBalancer(instances: Array<Pick<Instance, 'name' | 'baseUrl'>>): Promise<Balancer> {
  if (!existsSync(HAPROXY)) {
    throw new Error(`${HAPROXY} is missing: the cluster tests need Debian's haproxy (apt-get install haproxy; .ci/run installs it)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-haproxy-'));
  const port = await freePort();
  const configPath = join(dir, 'haproxy.cfg');
  await writeFile(configPath, haproxyConfig(port, instances));
  const child = spawn(HAPROXY, ['-f', configPath, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  const close = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const outcome = await untilReady(child, () => answersHealth(baseUrl), READY_TIMEOUT_MS);
  if (outcome !== 'ready') {
    await close();
    throw new Error(`haproxy ${outcome === 'exited' ? 'exited' : `not answering after ${READY_TIMEOUT_MS} ms`}:\n${output()}`);
  }
  return { baseUrl, output, close };
}

/** The instances trust X-Forwarded-For from the balancer, which connects from 127.0.0.1. */
const BEHIND_THE_BALANCER = ['http:', '  use_x_forwarded_for: true', '  trusted_proxies: [127.0.0.1]', ''].join('\n');

/**
 * Instances named `names` (A, B, C by default) on one fresh Redis prefix, behind haproxy. `env` goes
 * to every instance (LOG_LEVEL, say); the configuration file is the balancer's.
 */
export async function startBalancedCluster(names = ['A', 'B', 'C'], env: Record<string, string> = {}): Promise<BalancedCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-cluster-'));
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, BEHIND_THE_BALANCER);
  const removeDir = () => rm(dir, { recursive: true, force: true });
  const cluster = await startCluster(names, { ...env, CONFIG_FILE: configFile }).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  const balancer = await startBalancer(cluster.instances).catch(async (error: unknown) => {
    await cluster.close();
    await removeDir();
    throw error;
  });
  const { instances, prefix } = cluster;
  const close = async () => {
    await balancer.close();
    await cluster.close();
    await removeDir();
  };
  return { baseUrl: balancer.baseUrl, instances, prefix, close };
}
