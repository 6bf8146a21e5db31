/**
 * No Docker engine runs in CI, so the compose file is checked as data: Redis durable, two replicas
 * configured only with variables the config module knows, and the balancer wired to the port they use.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_ENV_NAMES, loadConfig } from '../src/config.js';

interface ComposeService {
  command?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  configs: Record<string, { content: string }>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as ComposeFile;
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

describe('docker-compose.yml', () => {
  const app = service('hass-auth');
  const env = app.environment ?? {};

  it('runs Redis with an append-only file synced on every write, kept in a volume (README, "Durability")', () => {
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

  it('runs two replicas with a health check on the port they listen on', () => {
    const { port } = loadConfig(env);
    expect(app.deploy?.replicas).toBe(2);
    expect(app.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${port}/health`);
    expect(app.depends_on?.redis?.condition).toBe('service_healthy');
  });

  it('puts a round-robin balancer on 8123 in front of the replicas, passing WebSocket upgrades, and not /metrics', () => {
    const { port, metricsPort } = loadConfig(env);
    // /metrics has a port of its own (README, "Observability"), which nothing publishes.
    expect(metricsPort).not.toBeNull();
    expect(compose.configs.nginx?.content ?? '').not.toContain(`:${metricsPort}`);
    expect(app.ports).toBeUndefined();
    const nginx = compose.configs.nginx?.content ?? '';
    expect(service('lb').ports).toEqual(['8123:8123']);
    expect(nginx).toContain(`server hass-auth:${port};`);
    expect(nginx).toContain('listen 8123;');
    expect(nginx).toMatch(/proxy_set_header Upgrade \$\$http_upgrade;/);
    expect(nginx).toMatch(/proxy_set_header Connection \$\$connection_upgrade;/);
    expect(service('lb').healthcheck?.test.join(' ')).toContain('/health');
  });
});
