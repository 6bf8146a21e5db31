/**
 * No Docker engine runs in CI, so the compose file is checked as data: Redis durable, two replicas of
 * the Dockerfile's image configured only with variables the config module knows, trusting
 * X-Forwarded-For from the balancer's fixed address and nobody else's, and the balancer wired to the
 * port they use. cluster/through-compose-nginx.test.ts runs the same configuration on loopback.
 */
import { describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../src/auth-config.js';
import { CONFIG_ENV_NAMES, loadConfig } from '../src/config.js';
import { formatIpNetwork, inAnyNetwork, ipNetwork } from '../src/domain/ip-network.js';
import { composeService, fixedAddress, mountedConfig, readCompose } from './support/compose-file.js';

/** src/main.ts's bound on a graceful shutdown. */
const SHUTDOWN_GRACE_S = 10;

const compose = readCompose();
const service = (name: string) => composeService(compose, name);

describe('docker-compose.yml', () => {
  const app = service('hass-auth');
  const env = app.environment ?? {};

  it('runs Redis with an append-only file synced on every write, kept in a volume (docs/deployment.md, "Durability")', () => {
    const command = service('redis').command ?? [];
    expect(command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--appendfsync', 'always']));
    // Each option once: a later `--appendfsync everysec` would quietly win.
    expect(command.filter((word) => word === '--appendfsync' || word === '--appendonly')).toHaveLength(2);
    // The redis image writes its files under /data: a named volume keeps them when the container is replaced.
    expect(service('redis').volumes).toContain('redis-data:/data');
    expect(Object.keys(compose.volumes ?? {})).toContain('redis-data');
    expect(service('redis').healthcheck?.test).toBeDefined();
  });

  it('configures the service only with variables the config module reads, and valid values', () => {
    for (const name of Object.keys(env)) expect(CONFIG_ENV_NAMES).toContain(name);
    const config = loadConfig(env);
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(Object.keys(compose.services)).toContain(new URL(config.redisUrl ?? '').hostname);
  });

  it('builds two replicas from the Dockerfile, healthy before the balancer starts, with time to drain on docker stop', () => {
    expect(app.build).toBe('.');
    expect(app.deploy?.replicas).toBe(2);
    expect(app.depends_on?.redis?.condition).toBe('service_healthy');
    // The image's HEALTHCHECK (dockerfile.test.ts) is the one: no second one here to disagree with it.
    expect(app.healthcheck).toBeUndefined();
    expect(service('lb').depends_on?.['hass-auth']?.condition).toBe('service_healthy');
    // Docker's SIGKILL must not cut a shutdown that main.ts still allows.
    expect(Number(/^(\d+)s$/.exec(app.stop_grace_period ?? '')?.[1])).toBeGreaterThan(SHUTDOWN_GRACE_S);
  });

  it("gives the replicas a configuration that trusts X-Forwarded-For from the balancer's fixed address only", () => {
    const { configFile } = loadConfig(env);
    expect(configFile).not.toBeNull();
    const config = parseAuthConfig(mountedConfig(compose, 'hass-auth', configFile ?? ''), 'docker-compose.yml');
    const lb = fixedAddress(compose, 'lb');
    expect(config.reverseProxy).toEqual({ useXForwardedFor: true, trustedProxies: [formatIpNetwork(ipNetwork(lb))] });
    const subnets = (compose.networks?.default?.ipam?.config ?? []).map(({ subnet }) => ipNetwork(subnet ?? ''));
    expect(subnets).toHaveLength(1);
    expect(inAnyNetwork(lb, subnets)).toBe(true);
    // Only the balancer has a fixed address: the replicas and Redis get theirs from Docker.
    expect(Object.keys(compose.services).filter((name) => service(name).networks !== undefined)).toEqual(['lb']);
  });

  it('puts a round-robin balancer on 8123 in front of the replicas, passing WebSocket upgrades, and not /metrics', () => {
    const { port, metricsPort } = loadConfig(env);
    const nginx = mountedConfig(compose, 'lb', '/etc/nginx/conf.d/default.conf');
    // /metrics has a port of its own (docs/observability.md), which nothing publishes.
    expect(metricsPort).not.toBeNull();
    expect(nginx).not.toContain(`:${metricsPort}`);
    expect(app.ports).toBeUndefined();
    expect(service('lb').ports).toEqual(['8123:8123']);
    expect(nginx).toContain(`server hass-auth:${port};`);
    expect(nginx).toContain('listen 8123;');
    expect(nginx).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(nginx).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(nginx).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
    expect(service('lb').healthcheck?.test).toContain('http://127.0.0.1:8123/health');
  });
});
