/**
 * Failed logins and bans across two real service processes on one Redis (issue 5: "two instances
 * sharing bans and counters"), configured by a CONFIG_FILE with Home Assistant's `http:` keys, and a
 * ban lifted with the `hass-auth` command line while both run. The client is 127.0.0.2 (another
 * loopback source address): the processes trust no proxy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FAST_HASHES, hassAuth } from '../cli/cli-process.js';
import { REDIS_URL, TEST_SECRETS_KEY } from '../stores/redis-harness.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { startCluster, type Cluster, type Instance } from './instances.js';

const CLIENT = '127.0.0.2';
const OTHER_CLIENT = '127.0.0.3';

/** A GET from `localAddress`: status, content type and body. */
function getFrom(localAddress: string, instance: Instance, path: string): Promise<{ status: number; type: string | undefined; text: string }> {
  const url = new URL(path, instance.baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, path: url.pathname, localAddress }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], text }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const FORBIDDEN = { status: 403, type: 'text/plain; charset=utf-8', text: '403: Forbidden' };

/** A ban or lift made elsewhere reaches an instance's copy of the ban list by pub/sub, a moment later. */
const soon = (assertion: () => Promise<void>) => vi.waitFor(assertion, { timeout: 3_000, interval: 5 });

describe('IP bans on two instances', { timeout: 60_000 }, () => {
  let cluster: Cluster;
  let configDir: string;
  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'hass-auth-bans-'));
    const configFile = join(configDir, 'config.yaml');
    writeFileSync(configFile, 'http:\n  ip_ban_enabled: true\n  login_attempts_threshold: 3\n');
    cluster = await startCluster(['a', 'b'], { CONFIG_FILE: configFile });
  }, READY_TIMEOUT_MS * 2);
  afterAll(async () => {
    await cluster.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('count failures from both, ban on both, and both serve the address again once the CLI lifts it', async () => {
    const [a, b] = cluster.instances as [Instance, Instance];
    expect((await getFrom(CLIENT, a, '/api/')).status).toBe(401);
    expect((await getFrom(CLIENT, b, '/api/')).status).toBe(401);
    expect((await getFrom(CLIENT, a, '/api/onboarding')).status).toBe(200);
    expect((await getFrom(CLIENT, b, '/api/')).status).toBe(401);
    expect(await getFrom(CLIENT, b, '/health')).toEqual(FORBIDDEN);
    await soon(async () => expect(await getFrom(CLIENT, a, '/api/onboarding')).toEqual(FORBIDDEN));
    expect((await getFrom(OTHER_CLIENT, a, '/health')).status).toBe(200);
    expect((await getFrom(OTHER_CLIENT, b, '/health')).status).toBe(200);

    // Home Assistant's WARNINGs; the ban's only on the instance whose failure made it.
    const output = `${a.output()}${b.output()}`;
    expect(output).toContain(`Login attempt or request with invalid authentication from ${CLIENT} (${CLIENT}). Requested URL: '/api/'. (None)`);
    expect(output.split(`Banned IP ${CLIENT} for too many login attempts`)).toHaveLength(2);
    expect(b.output()).toContain(`Banned IP ${CLIENT} for too many login attempts`);

    const cli = { REDIS_URL, REDIS_KEY_PREFIX: cluster.prefix, SECRETS_KEY: TEST_SECRETS_KEY, ...FAST_HASHES };
    const listed = await hassAuth(['ban', 'list'], cli);
    expect(listed.stdout).toMatch(new RegExp(`^${CLIENT.replaceAll('.', '\\.')}\\t\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n\\nTotal bans: 1\\n$`));
    expect(await hassAuth(['ban', 'lift', CLIENT], cli)).toEqual({ code: 0, stdout: 'Ban lifted\n', stderr: '' });
    await soon(async () => expect([(await getFrom(CLIENT, a, '/health')).status, (await getFrom(CLIENT, b, '/health')).status]).toEqual([200, 200]));
  });
});
