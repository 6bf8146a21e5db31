/** `npm start` as a whole process: configuration, store selection, the data-dir lock, shutdown. */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteKeysUnder, freePort, REDIS_URL, TEST_SECRETS_KEY, uniquePrefix } from './stores/redis-harness.js';
import { runServiceToExit, startService, type ServiceProcess } from './support/service-process.js';
import { TestSocket } from './support/ws-client.js';
import { keyIdOf } from '../src/stores/sealing/sealer.js';

describe('the service process', () => {
  const running: ServiceProcess[] = [];
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hass-auth-main-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (env: Record<string, string>) => {
    const service = await startService(env);
    running.push(service);
    return service;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((service) => service.stop('SIGKILL')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('serves on the embedded store by default, and stops cleanly on SIGTERM, closing sockets with 1001', async () => {
    const service = await start({ DATA_DIR: dataDir(), HA_VERSION: '2026.4.1' });
    const health = await fetch(`${service.baseUrl}/health`);
    expect(await health.json()).toEqual({ status: 'ok', store: 'sqlite' });
    const api = await fetch(`${service.baseUrl}/api/`);
    expect(api.status).toBe(401);
    expect(await api.text()).toBe('401: Unauthorized');
    const socket = await TestSocket.open(service.baseUrl);
    expect(await socket.next()).toEqual({ type: 'auth_required', ha_version: '2026.4.1' });
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(await socket.closedWithin()).toEqual({ code: 1001, reason: 'Server shutting down' });
  });

  it("seals with a key file it makes in DATA_DIR, its owner's alone, and will not start once others may read it", async () => {
    const dir = dataDir();
    const service = await start({ DATA_DIR: dir });
    expect(statSync(join(dir, 'secrets.key')).mode & 0o777).toBe(0o600);
    expect(await service.stop('SIGTERM')).toBe(0);
    chmodSync(join(dir, 'secrets.key'), 0o644);
    const refused = await runServiceToExit({ DATA_DIR: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`hass-auth: ${join(dir, 'secrets.key')} may be read by others (mode 0644); run \`chmod 600 ${join(dir, 'secrets.key')}\`\n`);
  });

  it('refuses a second process on the same DATA_DIR with a clear message', async () => {
    const dir = dataDir();
    await start({ DATA_DIR: dir });
    const second = await runServiceToExit({ DATA_DIR: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`hass-auth: DATA_DIR ${dir} is in use by another hass-auth process`);
    expect(second.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops at start with one line naming a bad variable', async () => {
    const result = await runServiceToExit({ PORT: 'eighty', DATA_DIR: dataDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('hass-auth: Invalid configuration: PORT must be integer\n');
  });

  it('stops at start with one line naming a configuration file it cannot use', async () => {
    const missing = await runServiceToExit({ CONFIG_FILE: '/nonexistent/auth.yaml', DATA_DIR: dataDir() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('hass-auth: CONFIG_FILE /nonexistent/auth.yaml cannot be read: ENOENT\n');
    const file = join(dataDir(), 'auth.yaml');
    writeFileSync(file, 'clients: {"https://a/": {grace_period: -1}}\n');
    const invalid = await runServiceToExit({ CONFIG_FILE: file, DATA_DIR: dataDir() });
    expect(invalid.stderr).toBe(`hass-auth: CONFIG_FILE ${file}: clients["https://a/"].grace_period must be >= 0\n`);
  });

  it('serves /metrics only on METRICS_PORT, behind METRICS_TOKEN, and stops both listeners on SIGTERM', async () => {
    const metricsPort = await freePort();
    const token = 'e'.repeat(64);
    const service = await start({ DATA_DIR: dataDir(), METRICS_PORT: String(metricsPort), METRICS_TOKEN: token });
    expect((await fetch(`${service.baseUrl}/metrics`)).status).toBe(404);
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const refused = await fetch(metricsUrl);
    expect({ status: refused.status, text: await refused.text() }).toEqual({ status: 401, text: '401: Unauthorized' });
    const scraped = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# TYPE hass_auth_token_requests_total counter');
    expect(await service.stop('SIGTERM')).toBe(0);
  });

  it('uses Redis when REDIS_URL is set', async () => {
    const prefix = uniquePrefix();
    const service = await start({ REDIS_URL, REDIS_KEY_PREFIX: prefix, SECRETS_KEY: TEST_SECRETS_KEY });
    expect(await (await fetch(`${service.baseUrl}/health`)).json()).toEqual({ status: 'ok', store: 'redis' });
    await service.stop();
    await deleteKeysUnder(prefix);
  });

  it('stops at start, before reaching Redis, without SECRETS_KEY or with a malformed one, naming it', async () => {
    const missing = await runServiceToExit({ REDIS_URL: 'redis://127.0.0.1:1', SECRETS_KEY: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^hass-auth: Invalid configuration: SECRETS_KEY \(or SECRETS_KEY_FILE\) is required with Redis[^\n]*\n$/);
    const malformed = await runServiceToExit({ REDIS_URL: 'redis://127.0.0.1:1', SECRETS_KEY: 'not-a-key' });
    expect(malformed.stderr).toMatch(/^hass-auth: Invalid configuration: SECRETS_KEY must be 64 hex characters[^\n]*\n$/);
  });

  it('stops at start with one line when SECRETS_KEY is not the key the store was sealed with', async () => {
    const prefix = uniquePrefix();
    try {
      const first = await start({ REDIS_URL, REDIS_KEY_PREFIX: prefix, SECRETS_KEY: TEST_SECRETS_KEY });
      expect(await first.stop('SIGTERM')).toBe(0);
      const wrong = randomBytes(32);
      const result = await runServiceToExit({ REDIS_URL, REDIS_KEY_PREFIX: prefix, SECRETS_KEY: wrong.toString('hex') });
      expect(result.code).toBe(1);
      const needed = keyIdOf(Buffer.from(TEST_SECRETS_KEY, 'hex'));
      expect(result.stderr).toBe(
        `hass-auth: the store's secrets are sealed with key ${needed}, which SECRETS_KEY does not hold (it holds ${keyIdOf(wrong)}); give that key, after the new one to rotate\n`,
      );
    } finally {
      await deleteKeysUnder(prefix);
    }
  });

  it('stops at start with a clear message when Redis cannot be reached', async () => {
    const result = await runServiceToExit({ REDIS_URL: 'redis://127.0.0.1:1', SECRETS_KEY: TEST_SECRETS_KEY });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^hass-auth: .*127\.0\.0\.1:1/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
