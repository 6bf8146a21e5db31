/**
 * Scenario `redis-cluster` of bench/run.ts (issue 15): the refresh grant of the service on a
 * loopback Redis Cluster of three masters (test/support/redis-cluster.ts, no replicas, as the bench's
 * one server has none) next to the same on the bench's one Redis server, in interleaved rounds, so
 * that a slow minute of the shared machine hits both alike; the ratio is the median of the rounds'.
 *
 * On one machine the cluster cannot show what it is for (more cores and memory than one server
 * has): the three masters share the same two cores with the service and the load generator. What
 * the ratio shows is what the layout costs per request: the extra round trip of the refresh grant
 * to the directory's master (docs/deployment.md, "Round trips against one server").
 *
 *   BENCH_ONLY=redis-cluster npm run bench
 */
import { startService, type ServiceProcess } from '../test/support/service-process.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { rawClient, TEST_SECRETS_KEY } from '../test/stores/redis-harness.js';
import { loadSettings, measureLoad, rotatingForm, type Measured } from './load.js';
import { cpuMicros } from './process-stats.js';
import { median } from './results-report.js';
import { exchangeCode, onboardOwner, refreshBody, trustedLogins } from './seeding.js';

const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3);

export interface ClusterSetting {
  /** The service on the bench's one Redis, and the refresh bodies of its tokens. */
  service: ServiceProcess;
  refreshBodies: string[];
  redisPid: number;
  configFile: string;
  keyPrefix: string;
  later: (cleanup: () => Promise<unknown>) => void;
  log: (message: string) => void;
}

export interface ClusterSide {
  measured: Measured;
  /** Redis' CPU per request, µs: the one server's, or the three masters' together. */
  redisCpuUs: number;
}

export interface ClusterComparison {
  /** Per round, in order. */
  rounds: Array<{ server: ClusterSide; cluster: ClusterSide }>;
  /** Median over the rounds of the cluster's requests per second over the one server's. */
  ratio: number;
  /** The round whose ratio is the median, for the results' rows. */
  typical: { server: ClusterSide; cluster: ClusterSide };
  tokens: number;
}

async function masterPid(url: string): Promise<number> {
  const client = await rawClient(url);
  try {
    const pid = /process_id:(\d+)/.exec(await client.info('server'))?.[1];
    if (pid === undefined) throw new Error(`${url}: INFO server names no process_id`);
    return Number(pid);
  } finally {
    client.destroy();
  }
}

export async function compareRedisCluster(setting: ClusterSetting): Promise<ClusterComparison> {
  const log = (message: string) => setting.log(message);
  const later = (cleanup: () => Promise<unknown>) => setting.later(cleanup);
  log('Redis Cluster: three masters on loopback');
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  later(() => cluster.stop());
  const masterPids = await Promise.all(cluster.urls.map(masterPid));
  const onCluster = await startService({
    REDIS_CLUSTER_NODES: cluster.urls.join(','),
    REDIS_KEY_PREFIX: setting.keyPrefix,
    SECRETS_KEY: TEST_SECRETS_KEY,
    CONFIG_FILE: setting.configFile,
    LOG_LEVEL: 'warn',
  });
  later(() => onCluster.stop());
  await exchangeCode(onCluster.baseUrl, await onboardOwner(onCluster.baseUrl));
  const clusterBodies = (await trustedLogins(onCluster.baseUrl, setting.refreshBodies.length)).map((tokens) => refreshBody(tokens.refreshToken));

  const measure = async (service: ServiceProcess, bodies: string[], redisPids: number[]): Promise<ClusterSide> => {
    let redisBefore = 0;
    const redisCpu = () => redisPids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
    const measured = await measureLoad([service.child.pid as number], rotatingForm(service.baseUrl, '/auth/token', bodies), loadSettings, async () => {
      redisBefore = redisCpu();
    });
    return { measured, redisCpuUs: (redisCpu() - redisBefore) / measured.requests };
  };

  const rounds: ClusterComparison['rounds'] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const server = await measure(setting.service, setting.refreshBodies, [setting.redisPid]);
    const onThree = await measure(onCluster, clusterBodies, masterPids);
    log(`Redis Cluster round ${round}: one server ${server.measured.requestsPerSecond.toFixed(0)} req/s, cluster ${onThree.measured.requestsPerSecond.toFixed(0)} req/s`);
    rounds.push({ server, cluster: onThree });
  }
  const ratioOf = ({ server, cluster: onThree }: ClusterComparison['rounds'][number]) => onThree.measured.requestsPerSecond / server.measured.requestsPerSecond;
  const ratio = median(rounds.map(ratioOf));
  const [first] = rounds;
  if (first === undefined) throw new Error('BENCH_PEER_ROUNDS must be at least 1');
  const typical = rounds.find((round) => ratioOf(round) === ratio) ?? first;
  await onCluster.stop();
  return { rounds, ratio, typical, tokens: clusterBodies.length };
}
