/**
 * Several real service processes (test/support/service-process.ts) on one Redis key prefix, reached
 * over plain HTTP as a load balancer would reach its replicas. Each cluster works under a prefix of
 * its own on the shared Redis and deletes exactly its keys when closed.
 */
import { request } from 'node:http';
import { deleteKeysUnder, freePort, REDIS_URL, TEST_SECRETS_KEY, uniquePrefix } from '../stores/redis-harness.js';
import { startService } from '../support/service-process.js';

export interface Instance {
  name: string;
  baseUrl: string;
  /** Where its `/metrics` answers: its own METRICS_PORT when it has one, else `baseUrl`. */
  metricsBaseUrl: string;
  /** What the process wrote to stdout and stderr (warnings and errors only). */
  output(): string;
  /** SIGTERM (SIGKILL after a grace period); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface Cluster {
  prefix: string;
  instances: Instance[];
  /** Stops every instance, then deletes the prefix's keys. */
  close(): Promise<void>;
}

export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const service = await startService(env);
  const metricsBaseUrl = env.METRICS_PORT === undefined ? service.baseUrl : `http://127.0.0.1:${env.METRICS_PORT}`;
  return { name, baseUrl: service.baseUrl, metricsBaseUrl, output: service.output, stop: () => service.stop() };
}

/**
 * Instances named `names`, started at once, each with the environment `envOf` gives; when one does
 * not start, the others are stopped and its error is thrown.
 */
export async function startInstances(names: string[], envOf: () => Record<string, string> | Promise<Record<string, string>>): Promise<Instance[]> {
  const results = await Promise.allSettled(names.map(async (name) => startInstance(name, await envOf())));
  const instances = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(instances.map((instance) => instance.stop()));
    throw failed.reason;
  }
  return instances;
}

/** Instances named `names`, all on one fresh prefix of the shared Redis, bcrypt at its real cost. */
export async function startCluster(names: string[], extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const prefix = uniquePrefix();
  const env: Record<string, string> = { REDIS_URL, REDIS_KEY_PREFIX: prefix, SECRETS_KEY: TEST_SECRETS_KEY, LOG_LEVEL: 'warn', ...extraEnv };
  // Replicas in containers each own the metrics port they are given; on loopback each needs its own.
  const ownEnv = async () => (env.METRICS_PORT === undefined ? env : { ...env, METRICS_PORT: String(await freePort()) });
  const instances = await startInstances(names, ownEnv).catch(async (error: unknown) => {
    await deleteKeysUnder(prefix);
    throw error;
  });
  const close = async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await deleteKeysUnder(prefix);
  };
  return { prefix, instances, close };
}

export function getWithBearer(instance: Pick<Instance, 'baseUrl'>, path: string, accessToken: string): Promise<Response> {
  return fetch(`${instance.baseUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
}

/**
 * A JSON POST sent from another loopback address (`localAddress`, e.g. 127.0.0.2): what a client
 * behind another IP looks like to the service. fetch cannot choose its source address, node:http can.
 */
export function postJsonFrom(localAddress: string, instance: Pick<Instance, 'baseUrl'>, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, instance.baseUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          // A refusal before the routes (`400: Bad Request`, text) must fail the test, not hang it.
          try {
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown });
          } catch {
            reject(new Error(`${path}: ${response.statusCode ?? 0} ${text}`));
          }
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
