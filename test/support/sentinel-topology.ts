/**
 * A Redis master, two replicas and three sentinels on loopback, each a redis-server of its own on a
 * free port, for the tests and benchmarks of Sentinel failover (issue 14). Nothing persists: the
 * master and the replica keep their data in memory only, so what survives the master's death is
 * exactly what reached the replica.
 *
 *   const topology = await startSentinelTopology();
 *   topology.env                                 // REDIS_SENTINELS, REDIS_SENTINEL_MASTER for the service
 *   const old = await topology.killMaster();     // kill -9 of the master now
 *   await topology.promoted(old);                // the port of the replica the sentinels promoted
 *   await topology.close();
 *
 * The sentinels decide fast (down after 500 ms, quorum 2 of 3), so a failover takes a few seconds.
 * They are started once the replicas are in sync and are waited for until each knows the replicas
 * and the two other sentinels: a failover needs both. Two replicas, so that after a failover the
 * promoted master still has one to acknowledge writes (REDIS_MIN_REPLICAS_ACK=1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killRedisServer, rawClient, startRedisServer, TEST_SECRETS_KEY } from '../stores/redis-harness.js';
import { until } from './until.js';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
export const MASTER_NAME = 'hass-auth-test';
const DOWN_AFTER_MS = 500;
const SETTLE_TIMEOUT_MS = 20_000;

export interface SentinelTopology {
  readonly sentinelPorts: number[];
  /** The service's environment for this topology. */
  readonly env: { REDIS_SENTINELS: string; REDIS_SENTINEL_MASTER: string; SECRETS_KEY: string };
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  /** kill -9 of the current master; resolves with its port once it is dead. */
  killMaster(): Promise<number>;
  /** Resolves with the new master's port once the sentinels name another than `oldPort`. */
  promoted(oldPort: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

async function sentinelCommand(port: number, args: string[]): Promise<unknown> {
  const client = await rawClient(`redis://127.0.0.1:${port}`);
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

/** A sentinel's answer about a node as a record of its fields (RESP3 answers a map, RESP2 a flat list). */
export function fieldsOf(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) return reply as Record<string, string>;
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) fields[String(reply[i])] = String(reply[i + 1]);
  return fields;
}

/** `SENTINEL MASTER <name>`. */
async function masterState(sentinelPort: number): Promise<Record<string, string>> {
  return fieldsOf(await sentinelCommand(sentinelPort, ['SENTINEL', 'MASTER', MASTER_NAME]));
}

/** The ports of the replicas the sentinels know. */
export async function replicaPorts(sentinelPort: number): Promise<number[]> {
  const replicas = (await sentinelCommand(sentinelPort, ['SENTINEL', 'REPLICAS', MASTER_NAME])) as unknown[];
  return replicas.map((replica) => Number(fieldsOf(replica).port));
}

/** `until` (support/until.ts) with this harness's deadline and pace. */
function settle<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = SETTLE_TIMEOUT_MS): Promise<T> {
  return until(`sentinel topology: ${what}`, probe, timeoutMs, 50);
}

async function startSentinel(dir: string, port: number, masterPort: number): Promise<ChildProcess> {
  const file = join(dir, `sentinel-${port}.conf`);
  // A sentinel rewrites its own file as it learns the topology: each gets one, in a directory of the test's.
  await writeFile(
    file,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn(REDIS_SERVER, [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await settle(`sentinel ${port} start`, async () => {
    if (child.exitCode !== null) throw new Error(`sentinel ${port} exited: ${output}`);
    return output.includes('+monitor') ? true : undefined;
  });
  return child;
}

export async function startSentinelTopology(): Promise<SentinelTopology> {
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-sentinel-'));
  const servers = new Map<number, ChildProcess>();
  const sentinels: ChildProcess[] = [];
  const close = async () => {
    for (const child of [...sentinels, ...servers.values()]) await killRedisServer(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [masterPort, ...ports] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    if (masterPort === undefined) throw new Error('no ports');
    const replicaPorts = ports.slice(0, 2);
    const sentinelPorts = ports.slice(2);
    servers.set(masterPort, await startRedisServer(masterPort));
    for (const port of replicaPorts) {
      servers.set(port, await startRedisServer(port, { args: ['--replicaof', '127.0.0.1', String(masterPort)] }));
      await settle(`replica ${port} in sync`, async () => {
        const client = await rawClient(`redis://127.0.0.1:${port}`);
        try {
          return (await client.info('replication')).includes('master_link_status:up') ? true : undefined;
        } finally {
          client.destroy();
        }
      });
    }
    for (const port of sentinelPorts) sentinels.push(await startSentinel(dir, port, masterPort));
    await settle('sentinels aware of the replica and of each other', async () => {
      const states = await Promise.all(sentinelPorts.map(masterState));
      return states.every((state) => state['num-slaves'] === '2' && state['num-other-sentinels'] === '2') ? true : undefined;
    });
    const masterPortNow = async () => {
      const [, port] = (await sentinelCommand(sentinelPorts[0] as number, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME])) as [string, string];
      return Number(port);
    };
    return {
      sentinelPorts,
      env: { REDIS_SENTINELS: sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','), REDIS_SENTINEL_MASTER: MASTER_NAME, SECRETS_KEY: TEST_SECRETS_KEY },
      masterPort: masterPortNow,
      killMaster: async () => {
        const port = await masterPortNow();
        const master = servers.get(port);
        if (master === undefined) throw new Error(`no server of this topology on ${port}`);
        await killRedisServer(master);
        return port;
      },
      promoted: (oldPort, timeoutMs = SETTLE_TIMEOUT_MS) =>
        settle(
          'promotion',
          async () => {
            const port = await masterPortNow();
            if (port === oldPort) return undefined;
            const client = await rawClient(`redis://127.0.0.1:${port}`);
            try {
              return (await client.info('replication')).includes('role:master') ? port : undefined;
            } finally {
              client.destroy();
            }
          },
          timeoutMs,
        ),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
