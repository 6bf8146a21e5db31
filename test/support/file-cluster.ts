/**
 * A loopback Redis Cluster for one test file (support/redis-cluster.ts), started by the first test
 * that asks for it and stopped after the file, and stores and test servers on it, each under a key
 * prefix of its own: what the suites that also run on a cluster share. Call `clusterForFile` at
 * the file's top level (it registers the file's `afterAll`).
 */
import { afterAll } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import { testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { startRedisCluster, type ClusterOptions, type RedisCluster } from './redis-cluster.js';
import { startTestServer, type StoreKind, type TestServer, type TestServerOptions } from './test-server.js';

export type FileCluster = () => Promise<RedisCluster>;

/** Three masters without replicas unless `options` say otherwise. */
export function clusterForFile(options: ClusterOptions = { masters: 3, replicasPerMaster: 0 }): FileCluster {
  let starting: Promise<RedisCluster> | undefined;
  afterAll(async () => {
    await (await starting)?.stop();
  }, 30_000);
  return () => (starting ??= startRedisCluster(options));
}

/** A store on the file's cluster under a fresh prefix (the cluster goes with the file, keys and all). */
export async function openClusterStore(cluster: FileCluster): Promise<ReadableStore> {
  return openRedisStore({ cluster: { nodes: (await cluster()).urls }, keyPrefix: uniquePrefix(), sealer: testSealer() });
}

/** Both stores, and Redis again as a cluster. */
export type ServerStoreKind = StoreKind | 'redis-cluster';

/** startTestServer on `kind`; on the cluster, on a store of its own that closes with the server. */
export async function startServerOn(kind: ServerStoreKind, cluster: FileCluster, options: TestServerOptions = {}): Promise<TestServer> {
  if (kind !== 'redis-cluster') return startTestServer(kind, undefined, options);
  const store = await openClusterStore(cluster);
  const server = await startTestServer('redis', undefined, { ...options, store });
  return {
    ...server,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}
