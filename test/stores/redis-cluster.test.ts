/**
 * The cluster connection (issue 15) on a loopback cluster of 3 masters with 1 replica each
 * (test/support/redis-cluster.ts), shared by this file's tests: commands and scripts go to the
 * master of their slot, a whole-keyspace walk reaches every master, a slot moved during traffic
 * keeps its keys, and a subscription hears publishes made on any node, also after the master it
 * was on was killed. The failover test runs last: it leaves one shard without a replica.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { followClusterChannel } from '../../src/stores/redis/cluster-subscription.js';
import { clusterSlotOf } from '../../src/stores/redis/cluster-slot.js';
import { connectCluster } from '../../src/stores/redis/cluster-start.js';
import { connectRedis } from '../../src/stores/redis/connect.js';
import { directConnection } from '../../src/stores/redis/direct-connection.js';
import { guardedRun } from '../../src/stores/redis/guard.js';
import type { ChannelListener, RedisConnection } from '../../src/stores/redis/connection.js';
import { startRedisCluster, type ClusterNode, type RedisCluster } from '../support/redis-cluster.js';
import { deleteKeysUnder, rawClient, REDIS_URL, uniquePrefix } from './redis-harness.js';

const WAIT = { timeout: 20_000, interval: 25 };

let cluster: RedisCluster;
let connection: RedisConnection;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  connection = await connectCluster(cluster.urls, { connectTimeoutMs: 2_000, startTimeoutMs: 9_000 });
}, 30_000);

afterAll(async () => {
  await connection?.close(1_000);
  await cluster?.stop();
});

async function onNode<T>(node: ClusterNode, use: (client: Awaited<ReturnType<typeof rawClient>>) => Promise<T>): Promise<T> {
  const client = await rawClient(node.url);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/** Asked of `via`, a live node: the first one until a test kills a master. */
async function slotOf(key: string, via = cluster.nodes[0] as ClusterNode): Promise<number> {
  return onNode(via, (client) => client.clusterKeySlot(key));
}

/** The master serving `slot` now, as `via` sees it. */
async function ownerOf(slot: number, via = cluster.nodes[0] as ClusterNode): Promise<ClusterNode> {
  const ranges = await onNode(via, (client) => client.clusterSlots());
  const port = ranges.find((range) => range.from <= slot && slot <= range.to)?.master.port;
  const node = cluster.nodes.find((candidate) => candidate.port === port);
  if (node === undefined) throw new Error(`no master serves slot ${slot}`);
  return node;
}

/** A key whose slot `node` serves now, as it sees it. */
async function keyServedBy(node: ClusterNode): Promise<string> {
  for (let i = 0; ; i += 1) {
    if ((await ownerOf(await slotOf(`k:${i}`, node), node)).port === node.port) return `k:${i}`;
  }
}

/** The live node the one subscription to `channel` is on (PUBSUB NUMSUB counts a node's own subscribers). */
async function subscriberHost(channel: string): Promise<ClusterNode> {
  const live = await cluster.masterPorts();
  const counts = await Promise.all(
    cluster.nodes.filter((node) => live.includes(node.port)).map(async (node) => ({ node, count: Number((await onNode(node, (client) => client.pubSubNumSub(channel)))[channel]) })),
  );
  const host = counts.find(({ count }) => count === 1)?.node;
  if (host === undefined) throw new Error('no master holds the subscription');
  return host;
}

function recordingListener() {
  const heard: string[] = [];
  const listener: ChannelListener = {
    message: (text) => heard.push(text),
    interrupted: () => heard.push('interrupted'),
    listening: () => heard.push('listening'),
  };
  return { heard, listener };
}

/** A subscription of the connection to `channel`, once it listens: what it heard, and how to stop it. */
async function listeningTo(channel: string): Promise<{ heard: string[]; stop: () => void }> {
  const { heard, listener } = recordingListener();
  const stop = connection.subscribe(channel, listener);
  try {
    await vi.waitFor(() => expect(heard).toEqual(['listening']), WAIT);
  } catch (error) {
    stop();
    throw error;
  }
  return { heard, stop };
}

/** `cluster_stats_messages_<kind>_sent` summed over every node. */
async function busMessagesSent(kind: 'publish' | 'publishshard'): Promise<number> {
  const infos = await Promise.all(cluster.nodes.map((node) => cluster.info(node)));
  return infos.reduce((sum, info) => sum + Number(info[`cluster_stats_messages_${kind}_sent`] ?? 0), 0);
}

describe('the cluster connection', () => {
  it('runs commands and a registered script on the master of their slot', async () => {
    const commands = connection.commands();
    await commands.set('{t}a', 'one');
    expect(await commands.get('{t}a')).toBe('one');
    expect(await commands.endedRecordCount(['{t}count'], ['60000'])).toBe(1);
    expect(await commands.endedRecordCount(['{t}count'], ['60000'])).toBe(2);
    const owner = await ownerOf(await slotOf('{t}a'));
    expect(await onNode(owner, (client) => client.get('{t}a'))).toBe('one');
  });

  it('gives one scan target per master, and its SCAN walks every master', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `walk:${i}`);
    const commands = connection.commands();
    for (const key of keys) await commands.set(key, 'x');
    const targets = await connection.masters();
    expect(targets.map((target) => Number(target.where.split(':')[1])).sort()).toEqual(await cluster.masterPorts());
    const perMaster = await Promise.all(
      targets.map(async (target) => {
        const found: string[] = [];
        for await (const batch of target.scanIterator({ MATCH: 'walk:*', COUNT: 100 })) found.push(...batch);
        return found;
      }),
    );
    expect(perMaster.every((found) => found.length > 0)).toBe(true);
    expect(perMaster.flat().sort()).toEqual([...keys].sort());
    // The cluster client's own SCAN (what the store's walks call through StoreCommands) also visits every master.
    const walked: string[] = [];
    let cursor = '0';
    do {
      const step = await commands.scan(cursor, { MATCH: 'walk:*', COUNT: 100 });
      walked.push(...step.keys);
      cursor = step.cursor;
    } while (cursor !== '0');
    expect(walked.sort()).toEqual([...keys].sort());
  });

  it('opens past listed nodes that accept but never answer', async () => {
    const held: Socket[] = [];
    const silent = await Promise.all(
      [0, 1, 2].map(async () => {
        const server = createServer((socket) => held.push(socket)).listen(0, '127.0.0.1');
        await once(server, 'listening');
        return server;
      }),
    );
    try {
      const urls = [...silent.map((server) => `redis://127.0.0.1:${(server.address() as AddressInfo).port}`), cluster.urls[0] as string];
      const started = performance.now();
      const opened = await connectCluster(urls, { connectTimeoutMs: 300, startTimeoutMs: 5_000 });
      expect(performance.now() - started).toBeLessThan(3 * 300 + 1_000);
      await opened.close(1_000);
    } finally {
      for (const socket of held) socket.destroy();
      for (const server of silent) server.close();
    }
  });

  it('gives one scan target on a single server', async () => {
    const prefix = uniquePrefix();
    const single = directConnection(await connectRedis({ url: REDIS_URL }), REDIS_URL);
    try {
      await single.commands().set(`${prefix}a`, 'x');
      const targets = await single.masters();
      expect(targets).toHaveLength(1);
      const found: string[] = [];
      for (const target of targets) for await (const batch of target.scanIterator({ MATCH: `${prefix}*` })) found.push(...batch);
      expect(found).toEqual([`${prefix}a`]);
    } finally {
      await single.close(1_000);
      await deleteKeysUnder(prefix);
    }
  });

  it('keeps serving a slot moved to another master during traffic', async () => {
    const keys = Array.from({ length: 250 }, (_, i) => `{m}${i}`);
    const commands = connection.commands();
    for (const key of keys) await commands.set(key, key);
    const slot = await slotOf('{m}0');
    const from = await ownerOf(slot);
    const masters = await cluster.masterPorts();
    const target = cluster.nodes.find((node) => node.port !== from.port && masters.includes(node.port));
    if (target === undefined) throw new Error('no other master');
    let moving = true;
    let writes = 0;
    const traffic = (async () => {
      while (moving) {
        await commands.set(`{m}live`, String(writes));
        expect(await commands.get(`{m}live`)).toBe(String(writes));
        writes += 1;
      }
    })();
    await cluster.migrateSlot(slot, from, target);
    moving = false;
    await traffic;
    expect(writes).toBeGreaterThan(0);
    expect((await ownerOf(slot)).port).toBe(target.port);
    expect(await commands.mGet(keys)).toEqual(keys);
  });

  it('costs one cluster bus message per other node for a PUBLISH, one per replica for an SPUBLISH', async () => {
    const publishes = 50;
    const publishBefore = await busMessagesSent('publish');
    const shardBefore = await busMessagesSent('publishshard');
    const node = cluster.nodes[0] as ClusterNode;
    await onNode(node, async (client) => {
      for (let i = 0; i < publishes; i += 1) await client.publish('measure', 'x');
    });
    // SPUBLISH is answered only by the shard that owns the channel's slot.
    const owner = await ownerOf(await slotOf('measure'));
    await onNode(owner, async (client) => {
      for (let i = 0; i < publishes; i += 1) await client.sPublish('measure', 'x');
    });
    const perPublish = ((await busMessagesSent('publish')) - publishBefore) / publishes;
    const perShardPublish = ((await busMessagesSent('publishshard')) - shardBefore) / publishes;
    console.info(`cluster bus messages per PUBLISH: ${perPublish}, per SPUBLISH: ${perShardPublish} (${cluster.nodes.length} nodes)`);
    expect(perPublish).toBe(cluster.nodes.length - 1);
    expect(perShardPublish).toBe(1);
  });

  it('subscribes on the next node when one accepts the connection but never answers', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => held.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const live = cluster.nodes[1] as ClusterNode;
    const { heard, listener } = recordingListener();
    const subscription = followClusterChannel({
      // The silent node until it was tried, then a live one.
      candidates: () => (held.length === 0 ? [{ host: '127.0.0.1', port: (silent.address() as AddressInfo).port }] : [{ host: '127.0.0.1', port: live.port }]),
      clientOptions: { socket: { connectTimeout: 200 } },
      channel: 'after-silence',
      listener,
      where: 'test',
    });
    try {
      await vi.waitFor(() => expect(heard).toEqual(['listening']), WAIT);
      expect(held).toHaveLength(1);
      await onNode(cluster.nodes[0] as ClusterNode, (client) => client.publish('after-silence', 'heard'));
      await vi.waitFor(() => expect(heard).toEqual(['listening', 'heard']), WAIT);
    } finally {
      subscription.stop();
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('serves the slots of a master that hangs, once its replica took over, and moves a subscription off it', async () => {
    const channel = 'pause-test-channel';
    const { heard, stop } = await listeningTo(channel);
    const run = guardedRun(connection, { commandTimeoutMs: 1_000, silenceTimeoutMs: 400 });
    let paused: Awaited<ReturnType<RedisCluster['pauseMaster']>> | undefined;
    try {
      const host = await subscriberHost(channel);
      const key = await keyServedBy(host);
      paused = await cluster.pauseMaster((await cluster.masterPorts()).indexOf(host.port));
      // Every attempt is answered (a 503 while the master hangs), and writes come back once the replica serves.
      await vi.waitFor(() => run.write('set', (client) => client.set(key, 'after the hang')), WAIT);
      await vi.waitFor(() => expect(heard).toEqual(['listening', 'interrupted', 'listening']), WAIT);
      await onNode(paused.successor, (client) => client.publish(channel, 'heard'));
      await vi.waitFor(() => expect(heard.at(-1)).toBe('heard'), WAIT);
    } finally {
      stop();
      await paused?.resume();
    }
    // The old master is back, as a replica of its successor: the next test starts from a settled cluster.
    await cluster.settled();
  }, 40_000);

  it("sends PUBLISH to the channel's home, where the subscription is: each answer counts it, and messages arrive in order", async () => {
    const channel = 'cluster-test-order';
    const { heard, stop } = await listeningTo(channel);
    try {
      // node-redis alone sends a keyless PUBLISH to a random node: it would count 0 two times in
      // three, and a message relayed over the cluster bus could arrive after the next one.
      const sent = Array.from({ length: 30 }, (_, n) => `m${n}`);
      const counts: number[] = [];
      for (const message of sent) counts.push(await connection.commands().publish(channel, message));
      expect(counts).toEqual(sent.map(() => 1));
      await vi.waitFor(() => expect(heard).toEqual(['listening', ...sent]), WAIT);
    } finally {
      stop();
    }
  });

  it('hears a publish made on another node, and again after the master it listened on was killed', async () => {
    const channel = 'cluster-test-channel';
    const { heard, stop } = await listeningTo(channel);
    try {
      const host = await subscriberHost(channel);
      // It subscribes on the channel's home, where PUBLISH is sent too (cluster-connection.ts).
      expect(host.port).toBe((await ownerOf(clusterSlotOf(channel))).port);
      const other = cluster.nodes.find((node) => node.port !== host.port) as ClusterNode;
      await onNode(other, (client) => client.publish(channel, 'before'));
      await vi.waitFor(() => expect(heard).toEqual(['listening', 'before']), WAIT);

      const masters = await cluster.masterPorts();
      const { killed, successor } = await cluster.killMaster(masters.indexOf(host.port));
      expect(killed.port).toBe(host.port);
      await vi.waitFor(() => expect(heard).toEqual(['listening', 'before', 'interrupted', 'listening']), WAIT);
      await cluster.settled();
      // Once the client has read the new slot map, the subscription is back home: on the master now
      // owning the channel's slot (it may first have moved to another, and been told to move again).
      await vi.waitFor(async () => {
        expect((await subscriberHost(channel)).port).toBe((await ownerOf(clusterSlotOf(channel), successor)).port);
        expect(heard.at(-1)).toBe('listening');
      }, WAIT);
      await onNode(successor, (client) => client.publish(channel, 'after'));
      await vi.waitFor(() => expect(heard.at(-1)).toBe('after'), WAIT);
      // Commands reach the promoted replica once the client read the slot map again.
      const key = await keyServedBy(successor);
      await vi.waitFor(() => connection.commands().set(key, 'after the failover'), WAIT);
      expect(await onNode(successor, (client) => client.get(key))).toBe('after the failover');
    } finally {
      stop();
    }
  }, 40_000);
});
