/**
 * Redis behind Sentinel, as issue 14 asks: two real service processes on a master with two replicas
 * and three sentinels (test/support/sentinel-topology.ts), with `REDIS_MIN_REPLICAS_ACK=1`, under the
 * traffic of fault-traffic.ts (logins, raced code exchanges, refreshes, revocations, WebSocket
 * commands on a socket per instance). Mid-traffic the master is killed (kill -9):
 * - meanwhile every answer is a 200, a 503 with its JSON body or a WebSocket `home_assistant_error`,
 *   each within a second, never a 500 or a hang;
 * - once the sentinels promote a replica, both processes serve again without a restart;
 * - everything acknowledged before or during the failover holds on the promoted master (a code
 *   redeemed once, refresh and access tokens, long-lived tokens, revocations): each write was
 *   acknowledged by a replica before its 200;
 * - a revocation after the failover closes the token's socket on the other instance (the revocation
 *   bus resubscribed on the promoted master).
 * And a bad configuration stops the process within 10 s, naming the variable.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../stores/redis-harness.js';
import { runServiceToExit, READY_TIMEOUT_MS } from '../support/service-process.js';
import { startSentinelTopology, type SentinelTopology } from '../support/sentinel-topology.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { expectEachCodeRedeemedOnce, expectNothingAcknowledgedLost, expectOnlyTimelyErrors, ownerTokens, trafficThrough } from './fault-checks.js';
import { TRAFFIC_CONFIG } from './fault-traffic.js';
import { startInstances, type Instance } from './instances.js';
import { postForm, postJson } from '../support/http-client.js';

/** The bound for a start that cannot succeed. */
const FAIL_FAST_MS = 10_000;

let dir = '';
let topology: SentinelTopology;
let env: Record<string, string>;
let a: Instance;
let b: Instance;
const started: Instance[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hass-auth-sentinel-failover-'));
  const configFile = join(dir, 'auth.yaml');
  writeFileSync(configFile, TRAFFIC_CONFIG);
  topology = await startSentinelTopology();
  env = { ...topology.env, REDIS_MIN_REPLICAS_ACK: '1', REDIS_KEY_PREFIX: 'hass-auth:', CONFIG_FILE: configFile, LOG_LEVEL: 'warn' };
  started.push(...(await startInstances(['A', 'B'], () => env)));
  [a, b] = started as [Instance, Instance];
}, READY_TIMEOUT_MS + 30_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all(started.map((instance) => instance.stop()));
  await topology?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A login through the bypass on `instance`, its code exchanged there: fresh tokens. */
async function logIn(instance: Instance): Promise<{ access_token: string; refresh_token: string }> {
  const started = await postJson(instance, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['trusted_networks', null], redirect_uri: REDIRECT_URI });
  const { result: code } = (await started.json()) as { result: string };
  const exchanged = await postForm(instance, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });
  expect(exchanged.status).toBe(200);
  return (await exchanged.json()) as { access_token: string; refresh_token: string };
}

describe('the master killed under traffic, a replica promoted by the sentinels', () => {
  beforeAll(async () => {
    const owner = await ownerTokens([a, b]);
    for (const instance of [a, b]) sockets.push(await TestSocket.authenticated(instance, owner.access_token));
  });

  it('answers 200, 503 or home_assistant_error within a second, serves again without a restart, and loses nothing acknowledged', async () => {
    let oldMaster = 0;
    const traffic = await trafficThrough([a, b], sockets as [TestSocket, TestSocket], {
      name: 'sentinel failover',
      begin: async () => {
        oldMaster = await topology.killMaster();
      },
      end: async () => {
        await topology.promoted(oldMaster);
      },
      lastsMs: 0,
      errorsPerLoop: 1,
      // The promotion may be over by the time every loop has met the failover.
      notReadyDuring: false,
    });
    expectOnlyTimelyErrors('sentinel failover', traffic);
    await expectEachCodeRedeemedOnce(traffic, [a, b]);
    await expectNothingAcknowledgedLost(traffic, [a, b], sockets);
    expect(traffic.revokedTokens.length).toBeGreaterThan(0);
  }, 120_000);

  it('closes a socket on one instance when its token is revoked on the other, after the failover', async () => {
    const tokens = await logIn(a);
    const socket = await TestSocket.authenticated(b, tokens.access_token);
    const revoked = await postForm(a, '/auth/revoke', { token: tokens.refresh_token });
    expect(revoked.status).toBe(200);
    expect((await socket.closedWithin(1_000)).code).toBe(1000);
  });
});

describe('a Sentinel configuration that cannot work', () => {
  it.each([
    [
      'no sentinel answers',
      // A valid SECRETS_KEY, as the topology's: without one the start stops earlier, naming SECRETS_KEY.
      async () => ({ ...topology.env, REDIS_SENTINELS: `127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}`, REDIS_SENTINEL_MASTER: 'mymaster' }),
      'REDIS_SENTINELS: no sentinel answered',
    ],
    ['the sentinels know no such master', async () => ({ ...topology.env, REDIS_SENTINEL_MASTER: 'not-monitored' }), 'REDIS_SENTINEL_MASTER: no sentinel knows a master named "not-monitored"'],
    ['REDIS_URL as well', async () => ({ ...topology.env, REDIS_URL: 'redis://127.0.0.1:6379' }), 'REDIS_URL and REDIS_SENTINELS are both set'],
  ])('stops the process within 10 s when %s, naming the variable', async (_case, envFor, message) => {
    const startedAt = performance.now();
    const result = await runServiceToExit({ ...(await envFor()), REDIS_KEY_PREFIX: 'hass-auth-unused:' });
    expect(performance.now() - startedAt).toBeLessThan(FAIL_FAST_MS);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, FAIL_FAST_MS + 5_000);
});
