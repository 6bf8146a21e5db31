/**
 * A Redis Cluster configuration that cannot work stops the service process at start within 10 s,
 * with one line naming REDIS_CLUSTER_NODES (issue 15): no listed node answers (refused, or accepted
 * and silent), a listed node is no cluster node, or the cluster does not serve every slot.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, REDIS_URL, TEST_SECRETS_KEY } from '../stores/redis-harness.js';
import { startPartialClusterNode } from '../support/redis-cluster.js';
import { runServiceToExit } from '../support/service-process.js';

/** The bound for a start that cannot succeed. */
const FAIL_FAST_MS = 10_000;

let partial: Awaited<ReturnType<typeof startPartialClusterNode>>;
/** Servers that accept connections and never answer (a hung process, a wrong port). */
const silent: Server[] = [];
const held: Socket[] = [];

beforeAll(async () => {
  partial = await startPartialClusterNode(0, 8_191);
  for (let i = 0; i < 3; i += 1) {
    const server = createServer((socket) => held.push(socket)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    silent.push(server);
  }
});

afterAll(async () => {
  await partial?.stop();
  for (const socket of held) socket.destroy();
  for (const server of silent) server.close();
});

describe('a Redis Cluster configuration that cannot work', () => {
  it.each([
    [
      'every listed node refuses the connection',
      async () => `redis://127.0.0.1:${await freePort()},redis://127.0.0.1:${await freePort()}`,
      /^hass-auth: REDIS_CLUSTER_NODES: no node of the cluster of 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ answered as a cluster node: .*ECONNREFUSED/,
    ],
    [
      // Each is given up after the connect timeout (2 s), so that the start ends in time with three.
      'every listed node accepts and never answers',
      async () => silent.map((server) => `redis://127.0.0.1:${(server.address() as AddressInfo).port}`).join(','),
      /^hass-auth: REDIS_CLUSTER_NODES: no node of the cluster of (127\.0\.0\.1:\d+,?){3} answered as a cluster node: Socket timeout/,
    ],
    ['the listed node is no cluster node', async () => REDIS_URL, /^hass-auth: REDIS_CLUSTER_NODES: no node of the cluster of .* answered as a cluster node: .*cluster support disabled/],
    [
      // A lone node has never learnt its own address from a peer: CLUSTER SLOTS names it with an empty host.
      'half of the slots are served',
      async () => partial.url,
      /^hass-auth: REDIS_CLUSTER_NODES: the cluster of 127\.0\.0\.1:\d+ does not serve all 16384 slots: node \S*:\d+ reports cluster_state:fail with 8192 of 16384 slots assigned/,
    ],
  ])('stops the process within 10 s when %s, naming REDIS_CLUSTER_NODES', async (_case, nodesFor, message) => {
    const env = { REDIS_CLUSTER_NODES: await nodesFor(), SECRETS_KEY: TEST_SECRETS_KEY, REDIS_KEY_PREFIX: 'hass-auth-unused:' };
    const startedAt = performance.now();
    const result = await runServiceToExit(env);
    expect(performance.now() - startedAt).toBeLessThan(FAIL_FAST_MS);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, FAIL_FAST_MS + 5_000);
});
