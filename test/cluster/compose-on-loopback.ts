/**
 * docker-compose.yml's deployment run on loopback, without Docker: its replicas as service processes
 * (instances.ts) with the environment and the configuration file the compose file gives them, and
 * its nginx configuration run by Debian's nginx (nginx.ts) in front of them. Only what names a host,
 * an address or a port is rewritten, each exactly where the compose file has it:
 * - REDIS_URL's `redis:6379` → the tests' Redis (127.0.0.1:6379), REDIS_KEY_PREFIX → a prefix of
 *   the test's own (the shared Redis is not ours to fill); HOST 0.0.0.0 → 127.0.0.1; PORT → a free port;
 * - CONFIG_FILE → a temporary file holding what compose mounts at that path, with the balancer's
 *   fixed address in `trusted_proxies` → 127.0.0.1, where nginx connects from here;
 * - nginx's `server hass-auth:8123;` → a `server` line per instance, `listen 8123;` → a free
 *   loopback port. Compose's `$$` is nginx's `$`, in Docker as here (compose-file.ts).
 * Everything else (LOG_LEVEL, the proxy headers, the timeouts) runs as the compose file says.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { REDIS_URL } from '../stores/redis-harness.js';
import { composeService, fixedAddress, mountedConfig, readCompose, type ComposeFile } from '../support/compose-file.js';
import { startCluster, type Instance } from './instances.js';
import { startNginx } from './nginx.js';

const APP = 'hass-auth';
const BALANCER = 'lb';
const NGINX_CONF = '/etc/nginx/conf.d/default.conf';

export interface ComposeOnLoopback {
  /** nginx: where every request goes. */
  baseUrl: string;
  /** The replicas, named as compose names them (hass-auth-1, …). */
  instances: Instance[];
  /** The lb service's healthcheck URL, aimed at this nginx. */
  balancerHealthcheckUrl: string;
  /** Stops nginx, then the instances, and deletes their keys and the configuration file. */
  close(): Promise<void>;
}

/** `text` with its one occurrence of `from` replaced: a compose file that changed fails here, by name. */
function rewriteOnce(text: string, from: string, to: string, what: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`docker-compose.yml: expected ${what} to hold ${JSON.stringify(from)} once, found ${count}`);
  return text.replace(from, to);
}

const appEnvironment = (compose: ComposeFile) => composeService(compose, APP).environment ?? {};

/** The replicas' environment, its hosts and ports on loopback; REDIS_KEY_PREFIX is left to startCluster. */
function replicaEnvironment(compose: ComposeFile, configFile: string): Record<string, string> {
  const { REDIS_KEY_PREFIX: prefix, ...env } = appEnvironment(compose);
  if (prefix === undefined) throw new Error('docker-compose.yml: expected the replicas to have a REDIS_KEY_PREFIX');
  // REDIS_URL names the redis service (composeService throws otherwise): its host is what changes.
  composeService(compose, new URL(env.REDIS_URL ?? '').hostname);
  return { ...env, REDIS_URL, HOST: '127.0.0.1', CONFIG_FILE: configFile };
}

function nginxHttpContext(compose: ComposeFile, instances: Instance[], listenPort: number): string {
  const upstreamPort = loadConfig(appEnvironment(compose)).port;
  const [, published] = /^(\d+):(\d+)$/.exec(composeService(compose, BALANCER).ports?.[0] ?? '') ?? [];
  const servers = instances.map(({ baseUrl }) => `server ${new URL(baseUrl).host};`).join('\n    ');
  const text = rewriteOnce(mountedConfig(compose, BALANCER, NGINX_CONF), `server ${APP}:${upstreamPort};`, servers, 'the nginx upstream');
  return rewriteOnce(text, `listen ${published};`, `listen 127.0.0.1:${listenPort};`, 'the nginx server');
}

function balancerHealthcheckUrl(compose: ComposeFile, baseUrl: string): string {
  const url = new URL(composeService(compose, BALANCER).healthcheck?.test.find((word) => word.startsWith('http://')) ?? '');
  // Inside the lb container, 127.0.0.1 is nginx itself.
  if (url.hostname !== '127.0.0.1') throw new Error(`docker-compose.yml: the lb healthcheck asks ${url.host}, not nginx itself`);
  return new URL(`${url.pathname}${url.search}`, baseUrl).href;
}

export async function startComposeOnLoopback(): Promise<ComposeOnLoopback> {
  const compose = readCompose();
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-compose-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  const configFile = join(dir, 'config.yaml');
  const target = loadConfig(appEnvironment(compose)).configFile ?? '';
  await writeFile(configFile, rewriteOnce(mountedConfig(compose, APP, target), fixedAddress(compose, BALANCER), '127.0.0.1', 'the replicas\' configuration'));
  const replicas = composeService(compose, APP).deploy?.replicas ?? 1;
  const names = Array.from({ length: replicas }, (_, index) => `${APP}-${index + 1}`);
  const cluster = await startCluster(names, replicaEnvironment(compose, configFile)).catch(async (error: unknown) => {
    await removeDir();
    throw error;
  });
  const nginx = await startNginx((port) => nginxHttpContext(compose, cluster.instances, port)).catch(async (error: unknown) => {
    await cluster.close();
    await removeDir();
    throw error;
  });
  return {
    baseUrl: nginx.baseUrl,
    instances: cluster.instances,
    balancerHealthcheckUrl: balancerHealthcheckUrl(compose, nginx.baseUrl),
    close: async () => {
      await nginx.close();
      await cluster.close();
      await removeDir();
    },
  };
}
