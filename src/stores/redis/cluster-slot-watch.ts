/**
 * Reads the slot map again when it changed without the cluster client noticing. node-redis reads
 * it again on a MOVED reply and while a node it used fails to reconnect; a master that hangs without
 * closing its connections (SIGSTOP, a partition) gives neither: its commands go unanswered, and once
 * its replica took over, its slots would answer 503 for as long as the hung connections stay open.
 *
 * So once a second one node, in turn, is asked CLUSTER SLOTS on a connection of its own, bounded by
 * the connect timeout (a hung node costs one turn); when a range's master differs from the client's,
 * the client reads the map from that node (node-redis then drops the connections of a master that no
 * longer serves slots, failing what waited on them), and `changed` is told (subscriptions move off
 * such a master: cluster-subscription.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import type { StoreCluster } from './cluster-connection.js';
import type { NodeAccess } from './cluster-subscription.js';
import { withDeadline } from './deadline.js';

/** How often the map is compared (node-redis' Sentinel client scans as often: sentinel-connection.ts). */
export const SLOT_MAP_CHECK_INTERVAL_MS = 1_000;

type DiscoveryStart = Parameters<StoreCluster['_slots']['rediscover']>[0];

/** Starts watching; returns the function that stops it. */
export function watchSlotMap(cluster: StoreCluster, access: NodeAccess, changed: () => void): () => void {
  let stopped = false;
  const timeoutMs = access.socket.connectTimeout;
  const check = async (turn: number) => {
    const masters = cluster.masters;
    const node = masters[turn % Math.max(1, masters.length)];
    if (node === undefined) return;
    const probe = createClient({ ...access, socket: { ...access.socket, host: node.host, port: node.port, socketTimeout: timeoutMs, reconnectStrategy: false } });
    // An `error` listener is always attached: an EventEmitter without one would crash the process.
    probe.on('error', () => undefined);
    try {
      await withDeadline(probe.connect(), timeoutMs, () => new Error('no answer'));
      const shards = await withDeadline(probe.clusterSlots(), timeoutMs, () => new Error('no answer'));
      const stale = shards.some(({ from, master }) => cluster.slots[from]?.master.address !== `${master.host}:${master.port}`);
      if (!stale || stopped) return;
      // node-redis reads the map with the options of the client it is given: this probe's, bounded too.
      // Its `_slots` is public in its typings; the probe is a client of the same node-redis with other
      // scripts, which discovery does not use.
      await withDeadline(cluster._slots.rediscover(probe as unknown as DiscoveryStart), timeoutMs, () => new Error('slot map not read'));
      if (!stopped) changed();
    } catch {
      // This node did not answer in time (it may be the hung one): the next turn asks another.
    } finally {
      probe.destroy();
    }
  };
  void (async () => {
    for (let turn = 0; !stopped; turn += 1) {
      await sleep(SLOT_MAP_CHECK_INTERVAL_MS, undefined, { ref: false });
      if (stopped || !cluster.isOpen) return;
      await check(turn);
    }
  })();
  return () => {
    stopped = true;
  };
}
