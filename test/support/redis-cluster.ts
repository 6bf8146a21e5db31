/**
 * A throwaway Redis Cluster on loopback (issue 15): N masters with R replicas each, every node a
 * redis-server of its own on a free port, in a temporary directory, keeping nothing on disk.
 *
 *   const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
 *   cluster.urls                                  // redis://127.0.0.1:<port>, one per node
 *   const { killed, successor } = await cluster.killMaster(0);   // kill -9; the replica to take over
 *   const { resume } = await cluster.pauseMaster(0);             // SIGSTOP: hangs, connections open
 *   await cluster.settled();                      // cluster_state:ok on every live node, all slots served
 *   await cluster.migrateSlot(slot, from, to);    // a live reshard of one slot
 *   await cluster.stop();
 *
 * The node timeout is short (CLUSTER_NODE_TIMEOUT_MS), so a replica takes over a killed master in
 * about two seconds. Starting one takes about as long as `redis-cli --cluster create` waits for the
 * nodes to agree: a test file starts one cluster and shares it between its tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killRedisServer, rawClient } from '../stores/redis-harness.js';
import { until } from './until.js';
import { CLUSTER_SLOTS } from '../../src/stores/redis/cluster-slot.js';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';
/** How long a node may not answer before the others count it as failed (and its replica takes over). */
export const CLUSTER_NODE_TIMEOUT_MS = 1_000;
const SETTLE_TIMEOUT_MS = 20_000;
/** Keys moved per MIGRATE while resharding a slot. */
const MIGRATE_BATCH = 100;

export interface ClusterNode {
  port: number;
  url: string;
  /** The node's cluster id (CLUSTER MYID). */
  id: string;
}

export interface RedisCluster {
  /** Every node started, masters first (in `--cluster create` order), then the replicas. */
  readonly nodes: ClusterNode[];
  /** `redis://127.0.0.1:<port>` of every node, as REDIS_CLUSTER_NODES lists them. */
  readonly urls: string[];
  /** The nodes that are masters now (alive), by port. */
  masterPorts(): Promise<number[]>;
  /** kill -9 of the `index`-th of the current masters (by port order); resolves once it is dead. */
  killMaster(index: number): Promise<{ killed: ClusterNode; successor: ClusterNode }>;
  /**
   * SIGSTOP of the `index`-th of the current masters: it hangs with its connections open, as in a
   * partition, until `resume` (SIGCONT), when it comes back as a replica of its successor.
   */
  pauseMaster(index: number): Promise<{ paused: ClusterNode; successor: ClusterNode; resume: () => Promise<void> }>;
  /** Resolves once every live node reports cluster_state:ok and every slot is served by a live master. */
  settled(timeoutMs?: number): Promise<void>;
  /** Moves `slot` and its keys from one master to another, by hand, as `redis-cli --cluster reshard` does. */
  migrateSlot(slot: number, from: ClusterNode, to: ClusterNode): Promise<void>;
  /** CLUSTER INFO of a node as its fields. */
  info(node: ClusterNode): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
}

type Client = Awaited<ReturnType<typeof rawClient>>;

async function withNode<T>(port: number, use: (client: Client) => Promise<T>): Promise<T> {
  const client = await rawClient(`redis://127.0.0.1:${port}`);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

function fieldsOfInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** `until` (support/until.ts) with this harness's deadline and pace. */
function settle<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = SETTLE_TIMEOUT_MS): Promise<T> {
  return until(`redis cluster: ${what}`, probe, timeoutMs, 25);
}

async function startNode(dir: string, port: number): Promise<ChildProcess> {
  // The cluster bus gets a free port of its own: by default it is `port + 10000`, which another
  // process may hold (seen once in a full run) or which may not exist (a port above 55535).
  const busPort = await freePort();
  const child = spawn(
    REDIS_SERVER,
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--cluster-enabled', 'yes',
      '--cluster-port', String(busPort),
      '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
      '--save', '',
      '--appendonly', 'no',
      // A replica whose master was killed takes over at once, whatever its replication lag.
      '--cluster-replica-validity-factor', '0',
      // A replica's first sync starts at once, not after the default 5 s wait for more replicas.
      '--repl-diskless-sync-delay', '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await settle(`node ${port} start`, async () => {
    if (child.exitCode !== null) throw new Error(`node ${port} exited: ${output}`);
    return output.includes('Ready to accept connections') ? true : undefined;
  });
  return child;
}

function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(REDIS_CLI, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`redis-cli ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

export async function startRedisCluster(options: ClusterOptions = {}): Promise<RedisCluster> {
  const masterCount = options.masters ?? 3;
  const replicasPerMaster = options.replicasPerMaster ?? 1;
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-cluster-'));
  const servers = new Map<number, ChildProcess>();
  const stop = async () => {
    // SIGKILL ends a stopped process too.
    await Promise.all([...servers.values()].map(killRedisServer));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = await Promise.all(Array.from({ length: masterCount * (1 + replicasPerMaster) }, () => freePort()));
    await Promise.all(ports.map(async (port) => servers.set(port, await startNode(dir, port))));
    // --cluster create makes the first `masterCount` addresses masters (it keeps the given order on one host).
    await runCli(['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes']);
    const nodes = await Promise.all(
      ports.map(async (port) => ({ port, url: `redis://127.0.0.1:${port}`, id: await withNode(port, (client) => client.clusterMyId()) })),
    );
    // A paused node would hold any client that asks it something: it counts as gone until resumed.
    const pausedPorts = new Set<number>();
    const alive = () => nodes.filter((node) => servers.get(node.port)?.exitCode === null && servers.get(node.port)?.signalCode === null && !pausedPorts.has(node.port));
    const info = async (node: ClusterNode) => fieldsOfInfo(await withNode(node.port, (client) => client.clusterInfo()));
    const roleOf = (node: ClusterNode) => withNode(node.port, (client) => client.role());
    const masterPorts = async () => {
      const roles = await Promise.all(alive().map(async (node) => ({ node, role: await roleOf(node) })));
      return roles.filter(({ role }) => role?.role === 'master').map(({ node }) => node.port).sort((a, b) => a - b);
    };
    /** The `index`-th master now (by port order) and the replica that should take over from it. */
    const masterAndSuccessor = async (index: number) => {
      const port = (await masterPorts())[index];
      const master = nodes.find((node) => node.port === port);
      if (master === undefined) throw new Error(`no master #${index}`);
      const roles = await Promise.all(alive().map(async (node) => ({ node, role: await roleOf(node) })));
      const successor = roles.find(({ role }) => role?.role === 'slave' && role.master?.port === master.port)?.node;
      if (successor === undefined) throw new Error(`master ${master.port} has no replica to take over`);
      return { master, successor };
    };
    const settled = async (timeoutMs = SETTLE_TIMEOUT_MS) => {
      await settle(
        'cluster_state:ok with every slot served',
        async () => {
          const states = await Promise.all(alive().map(info));
          const ok = states.every((state) => state.cluster_state === 'ok' && state.cluster_slots_ok === String(CLUSTER_SLOTS));
          return ok ? true : undefined;
        },
        timeoutMs,
      );
      // Every replica of a live master has its data: a master killed next loses nothing it acknowledged before.
      await settle(
        'replicas in sync',
        async () => {
          const roles = await Promise.all(alive().map(roleOf));
          return roles.every((role) => role?.role !== 'slave' || role.state === 'connected') ? true : undefined;
        },
        timeoutMs,
      );
    };
    await settled();
    return {
      nodes,
      urls: nodes.map((node) => node.url),
      masterPorts,
      settled,
      info,
      killMaster: async (index) => {
        const { master: killed, successor } = await masterAndSuccessor(index);
        await killRedisServer(servers.get(killed.port) as ChildProcess);
        return { killed, successor };
      },
      pauseMaster: async (index) => {
        const { master: paused, successor } = await masterAndSuccessor(index);
        const child = servers.get(paused.port) as ChildProcess;
        pausedPorts.add(paused.port);
        child.kill('SIGSTOP');
        return {
          paused,
          successor,
          resume: async () => {
            if (!pausedPorts.delete(paused.port)) return;
            child.kill('SIGCONT');
          },
        };
      },
      migrateSlot: async (slot, from, to) => {
        // The order of the Redis documentation's "CLUSTER SETSLOT" (live resharding): importing on the
        // target first, so that the ASK redirections the source starts giving are accepted there.
        await withNode(to.port, (client) => client.sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', from.id]));
        await withNode(from.port, async (source) => {
          await source.sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', to.id]);
          for (;;) {
            const keys = await source.sendCommand<string[]>(['CLUSTER', 'GETKEYSINSLOT', String(slot), String(MIGRATE_BATCH)]);
            if (keys.length === 0) break;
            await source.sendCommand(['MIGRATE', '127.0.0.1', String(to.port), '', '0', '5000', 'KEYS', ...keys]);
          }
        });
        // The target first: once it owns the slot, the source's MOVED point to a node that serves it.
        const masters = await masterPorts();
        for (const port of [to.port, from.port, ...masters.filter((p) => p !== to.port && p !== from.port)]) {
          await withNode(port, (client) => client.sendCommand(['CLUSTER', 'SETSLOT', String(slot), 'NODE', to.id]));
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * One cluster-enabled node serving only the slots `from`..`to`: a cluster that does not cover the
 * keyspace (cluster_state:fail), as after a misconfigured reshard.
 */
export async function startPartialClusterNode(from: number, to: number): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-cluster-'));
  const port = await freePort();
  const child = await startNode(dir, port).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const stop = async () => {
    await killRedisServer(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await withNode(port, (client) => client.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)]));
    return { url: `redis://127.0.0.1:${port}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
