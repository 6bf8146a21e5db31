/**
 * A Redis Cluster (`REDIS_CLUSTER_NODES`, issue 15), through node-redis' cluster client: it reads
 * the slot map from the listed nodes and sends each command to the master of its first key's slot
 * (every script's keys share one slot: keys.ts). When a replica takes over a master, or a slot
 * moves, it reads the slot map again (on a MOVED reply, and while a node it used does not answer).
 *
 * Set so that it fails fast like the one-server client (connect.ts), on every node (`defaults`):
 * `disableOfflineQueue`, a short connect timeout, the reconnect backoff of reconnect.ts, no
 * node-redis per-command timeout (guard.ts bounds every wait), the scripts registered.
 *
 * `holdsCommands`: yes. A command for a node whose connection is being made waits for it, and one
 * answered MOVED or ASK (not applied) waits for the slot map to be read again before it is sent to
 * the new owner: either can be sent after the guard gave up on it, so the guard aborts it (`abandon`).
 *
 * A master that hangs without closing its connections (SIGSTOP, a partition) makes node-redis
 * neither redirect nor reconnect, so it would never read the slot map again: cluster-slot-watch.ts
 * compares it once a second and has it read again (measured without: its slots still answered 503,
 * and a subscription on it heard nothing, 20 s after its replica took over).
 *
 * Replica acknowledgements (REDIS_MIN_REPLICAS_ACK) are refused with a cluster (config.ts): WAIT
 * counts the replicas of the one node the connection wrote to, and the adapter's operations do not
 * say which master took their write.
 *
 * Channels (revocations, ban changes, live-inspection notices) use classic pub/sub, not sharded:
 * a PUBLISH on any node reaches every node over the cluster bus, so one subscription on any node
 * hears every instance's messages, and a reshard or a failover loses none of them but those sent
 * while a subscription moves (cluster-subscription.ts moves it off a node that died or was
 * replaced). Publishers and subscribers still meet on the channel's home master (homedPublish), so
 * that PUBLISH's answer counts every instance that hears it. Sharded pub/sub
 * (SPUBLISH) reaches only the shard owning the channel's slot, but its subscribers must follow
 * that slot. The cost of classic, measured on a loopback cluster of 3 masters with 1 replica
 * each (test/stores/redis-cluster.test.ts, "costs one cluster bus message per other node…"): one
 * PUBLISH costs 5 bus messages (`cluster_stats_messages_publish_sent` summed over the nodes: one to every other
 * node), one SPUBLISH 1 (`cluster_stats_messages_publishshard_sent`: to the shard's replica).
 * The store's messages are rare (a revocation, a ban change, a notice while someone inspects),
 * so the difference is noise next to the robustness.
 */
import { createCluster } from 'redis';
import type { Logger } from '../../domain/logger.js';
import { redactUrl } from './connect.js';
import { clusterSlotOf } from './cluster-slot.js';
import type { RedisConnection, ScanTarget, StoreCommands } from './connection.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { followClusterChannel, type ClusterChannel, type NodeAccess, type NodeAddress } from './cluster-subscription.js';
import { SLOT_MAP_CHECK_INTERVAL_MS, watchSlotMap } from './cluster-slot-watch.js';
import { reconnectStrategy } from './reconnect.js';
import { redisScripts } from './scripts/index.js';

/**
 * How long a node may keep failing to reconnect before the slot map is read again. A replica takes
 * over a dead master after the cluster's node timeout (seconds), so this reads it again about once
 * a second until the promoted replica is in the map (node-redis' default waits 5 s).
 */
const TOPOLOGY_REFRESH_AFTER_MS = 1_000;

/**
 * What every node connection needs besides its address, from the first URL: credentials and TLS
 * (config.ts requires the same scheme throughout). node-redis uses the listed nodes only to read
 * the slot map, and connects to the nodes it names with `defaults` alone.
 */
function nodeAccess(firstUrl: string, connectTimeoutMs: number): NodeAccess {
  const url = new URL(firstUrl);
  return {
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    socket: { connectTimeout: connectTimeoutMs, ...(url.protocol === 'rediss:' ? { tls: true as const } : {}) },
  };
}

export function createStoreCluster(nodes: string[], connectTimeoutMs: number, hasOpened: () => boolean) {
  const access = nodeAccess(nodes[0] ?? '', connectTimeoutMs);
  return createCluster({
    // Only the slot map is read on these connections (node-redis connects to the nodes it names with
    // `defaults`): one that accepts but never answers fails after the connect timeout, so the next
    // listed node is tried, instead of holding the start until its deadline.
    rootNodes: nodes.map((url) => ({ url, socket: { connectTimeout: connectTimeoutMs, socketTimeout: connectTimeoutMs } })),
    defaults: { ...access, disableOfflineQueue: true, socket: { ...access.socket, reconnectStrategy: reconnectStrategy(hasOpened) } },
    commandOptions: { timeout: 0 },
    scripts: redisScripts,
    topologyRefreshOnReconnectionAttemptStrategy: TOPOLOGY_REFRESH_AFTER_MS,
  });
}

export type StoreCluster = ReturnType<typeof createStoreCluster>;

/** `cluster of host:port,host:port`: for messages and logs (never credentials). */
export function describeClusterNodes(nodes: string[]): string {
  return `cluster of ${nodes.map((url) => redactUrl(url).replace(/^rediss?:\/\//, '').replace(/\/$/, '')).join(',')}`;
}

/** Logs when a node is lost and when it is back, not every failed attempt in between. */
function watchCluster(cluster: StoreCluster, where: string, logger: Logger | undefined): void {
  const down = new Set<string>();
  // Reading the slot map is tried again about once a second while a node is away: said once until a node is back.
  let mapUnread = false;
  // An `error` listener is always attached: an EventEmitter without one would crash the process.
  cluster.on('error', (error: unknown) => {
    if (mapUnread) return;
    mapUnread = true;
    logger?.warn({ redis: where, err: describeError(error) }, 'Redis cluster: reading the slot map failed');
  });
  cluster.on('node-error', (error: unknown, node: NodeAddress) => {
    const address = `${node.host}:${node.port}`;
    if (down.has(address)) return;
    down.add(address);
    logger?.warn({ redis: where, node: address, err: describeError(error) }, 'Redis cluster node lost; reconnecting');
  });
  cluster.on('node-ready', (node: NodeAddress) => {
    const address = `${node.host}:${node.port}`;
    mapUnread = false;
    if (down.delete(address)) logger?.info({ redis: where, node: address }, 'Redis cluster node restored');
  });
}

/**
 * The commands with PUBLISH sent to the channel's home, the master owning the slot of the
 * channel's name, where every instance's subscription stays while it can (subscribe, below):
 * PUBLISH then answers how many instances heard it, which the live-inspection channel relies on to
 * know whether anybody watches (transition-channel.ts), and two notices published one after the
 * other reach a subscriber in that order. node-redis' cluster client sends PUBLISH, which names no
 * key, to a random node whatever key it is given (its command policy `default-keyless`), whose
 * answer counts only its own subscribers and whose cluster-bus copy can arrive after a later one
 * sent to the home: so it is sent on the home's own client (`getNodeClientForKey`), with the same
 * command options (an operation's abort signal).
 */
function homedPublish(cluster: StoreCluster, options?: { timeout: number; abortSignal: AbortSignal }): StoreCommands {
  const commands = options === undefined ? cluster : cluster.withCommandOptions(options);
  const publish = async (channel: string, message: string) => {
    const home = await cluster.getNodeClientForKey(channel);
    return (options === undefined ? home : home.withCommandOptions(options)).publish(channel, message);
  };
  return Object.create(commands, { publish: { value: publish } }) as StoreCommands;
}

export function clusterConnection(cluster: StoreCluster, options: { nodes: string[]; connectTimeoutMs: number; logger?: Logger }): RedisConnection {
  const where = describeClusterNodes(options.nodes);
  const { logger } = options;
  let closed = false;
  const subscriptions = new Set<ClusterChannel>();
  watchCluster(cluster, where, logger);
  const access = nodeAccess(options.nodes[0] ?? '', options.connectTimeoutMs);
  const stopWatch = watchSlotMap(cluster, access, () => {
    logger?.info({ redis: where, masters: cluster.masters.map(({ address }) => address) }, 'Redis cluster: slot map read again');
    for (const subscription of subscriptions) subscription.recheck();
  });
  // node-redis also reads the slot map again by itself (a MOVED answer, a lost node), which the watch
  // above does not see as a change: a subscription that had to settle away from its channel's home
  // while the home's master failed over finds the new home at the next check.
  const homing = setInterval(() => {
    for (const subscription of subscriptions) subscription.recheck();
  }, SLOT_MAP_CHECK_INTERVAL_MS);
  homing.unref();
  const rootAddresses = options.nodes.map((url): NodeAddress => {
    const parsed = new URL(url);
    return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port || 6379) };
  });
  const commands = homedPublish(cluster);
  return {
    where,
    get isReady() {
      return !closed && cluster.isReady;
    },
    get isClosed() {
      return closed || !cluster.isOpen;
    },
    holdsCommands: true,
    commands: (abandon) => (abandon === undefined ? commands : homedPublish(cluster, { timeout: 0, abortSignal: abandon })),
    serverCommands: null,
    masters: () =>
      Promise.all(
        cluster.masters.map(async (master): Promise<ScanTarget> => {
          const client = await cluster.nodeClient(master);
          return { where: master.address, scan: (cursor, scanOptions) => client.scan(cursor, scanOptions), scanIterator: (scanOptions) => client.scanIterator(scanOptions) };
        }),
      ),
    subscribe(channel, listener) {
      if (closed) return () => undefined;
      // The masters the client knows now (the slot map it read last), else the listed nodes; the
      // channel's home first (homedPublish, above).
      const home = clusterSlotOf(channel);
      const candidates = () => {
        const masters = cluster.masters.map(({ host, port }) => ({ host, port }));
        const owner = cluster.slots[home]?.master;
        const first = masters.findIndex(({ host, port }) => host === owner?.host && port === owner.port);
        if (first > 0) masters.unshift(...masters.splice(first, 1));
        return masters.length > 0 ? masters : rootAddresses;
      };
      const subscription = followClusterChannel({ candidates, clientOptions: access, channel, listener, where, ...(logger === undefined ? {} : { logger }) });
      subscriptions.add(subscription);
      return () => {
        subscriptions.delete(subscription);
        subscription.stop();
      };
    },
    async close(waitMs) {
      if (closed) return;
      closed = true;
      stopWatch();
      clearInterval(homing);
      for (const subscription of subscriptions) subscription.stop();
      subscriptions.clear();
      if (!cluster.isOpen) return;
      try {
        await withDeadline(cluster.close(), waitMs, () => new Error('close timed out'));
      } catch {
        cluster.destroy();
      }
    },
  };
}
