/**
 * Opening the cluster client fails fast and says why (issue 15: a bad configuration stops the
 * process within 10 s with a message naming REDIS_CLUSTER_NODES): no listed node answered (or
 * none is a cluster node), or the cluster does not serve all 16384 slots. node-redis opens as soon
 * as one node gave it a slot map, holes included, and would fail only the commands whose slot no
 * master serves; so each master's CLUSTER INFO is read before the store opens.
 */
import type { Logger } from '../../domain/logger.js';
import { StoreUnavailableError } from '../types.js';
import { clusterConnection, createStoreCluster, describeClusterNodes, type StoreCluster } from './cluster-connection.js';
import type { RedisConnection } from './connection.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { CLUSTER_SLOTS } from './cluster-slot.js';

/** Hash slots of a Redis Cluster (Redis documentation, "Redis cluster specification"). */

export class ClusterStartError extends StoreUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterStartError';
  }
}

/** CLUSTER INFO's `field:value` lines. */
function fieldsOf(text: string): Map<string, string> {
  return new Map(
    text
      .split(/\r?\n/)
      .map((line) => line.trim().split(':', 2) as [string, string | undefined])
      .filter((pair): pair is [string, string] => pair[1] !== undefined),
  );
}

/** Null when every master says the cluster is ok with every slot assigned; else what is wrong. */
async function uncovered(cluster: StoreCluster): Promise<string | null> {
  for (const master of cluster.masters) {
    const client = await cluster.nodeClient(master);
    const info = fieldsOf(await client.clusterInfo());
    const state = info.get('cluster_state');
    const assigned = Number(info.get('cluster_slots_assigned'));
    if (state !== 'ok' || assigned !== CLUSTER_SLOTS) {
      return `node ${master.address} reports cluster_state:${state ?? '?'} with ${assigned} of ${CLUSTER_SLOTS} slots assigned`;
    }
  }
  return null;
}

export async function connectCluster(nodes: string[], options: { connectTimeoutMs: number; startTimeoutMs: number; logger?: Logger }): Promise<RedisConnection> {
  const where = describeClusterNodes(nodes);
  let opened = false;
  const cluster = createStoreCluster(nodes, options.connectTimeoutMs, () => opened);
  // Each listed node that fails is an `error` event before the final RootNodesUnavailableError: they
  // say why. Never removed: a torn-down client may still emit one, and an EventEmitter without an
  // `error` listener would crash the process.
  const seen: unknown[] = [];
  let starting = true;
  cluster.on('error', (error: unknown) => {
    if (starting) seen.push(error);
  });
  let problem: string | null;
  try {
    problem = await withDeadline(
      cluster.connect().then(() => uncovered(cluster)),
      options.startTimeoutMs,
      () => new Error(`no slot map within ${options.startTimeoutMs} ms`),
    );
  } catch (error) {
    cluster.destroy();
    const detail = seen.map(describeError).at(-1) ?? describeError(error);
    throw new ClusterStartError(`no node of the ${where} answered as a cluster node: ${detail}`, { cause: error });
  } finally {
    starting = false;
  }
  if (problem !== null) {
    cluster.destroy();
    throw new ClusterStartError(`the ${where} does not serve all ${CLUSTER_SLOTS} slots: ${problem}`);
  }
  opened = true;
  return clusterConnection(cluster, { nodes, connectTimeoutMs: options.connectTimeoutMs, ...(options.logger === undefined ? {} : { logger: options.logger }) });
}
