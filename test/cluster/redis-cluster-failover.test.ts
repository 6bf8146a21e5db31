/**
 * Redis Cluster under faults, as issue 15 asks: two real service processes on a loopback cluster of
 * three masters with a replica each (test/support/redis-cluster.ts), under the traffic of
 * fault-traffic.ts (logins, raced code exchanges, refreshes, revocations, WebSocket commands on a
 * socket per instance).
 * - A live reshard: mid-traffic the directory's slot (`{d}`) and the slots of four record buckets
 *   (keys.ts BUCKET_TAGS) move to another master and back by hand (CLUSTER SETSLOT IMPORTING/MIGRATING,
 *   MIGRATE, SETSLOT NODE), keys and all: no 500, each error a timely 503, no code redeemed twice,
 *   nothing acknowledged lost, and a revocation afterwards still closes the token's socket on the
 *   other instance.
 * - kill -9 of a master holding buckets (the revocation channel's home first, then the directory's):
 *   meanwhile every answer is a 200, a 503 with its JSON body or a WebSocket `home_assistant_error`,
 *   each within a second, never a 500 or a hang; once its replica took over, both processes serve
 *   again without a restart, records in the promoted replica's buckets included, and a revocation
 *   closes the token's socket on the other instance.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../src/domain/ids.js';
import { clusterSlotOf } from '../../src/stores/redis/cluster-slot.js';
import { BUCKET_TAGS, clusterBucketOf, redisKeys } from '../../src/stores/redis/keys.js';
import { rawClient, TEST_SECRETS_KEY } from '../stores/redis-harness.js';
import { postForm, postJson } from '../support/http-client.js';
import { startRedisCluster, type ClusterNode, type RedisCluster } from '../support/redis-cluster.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import {
  acknowledgedLost,
  expectEachCodeRedeemedOnce,
  expectNothingAcknowledgedLost,
  expectOnlyTimelyErrors,
  ownerTokens,
  trafficThrough,
  unavailable,
  WAIT,
} from './fault-checks.js';
import { TRAFFIC_CONFIG } from './fault-traffic.js';
import { getWithBearer, startInstances, type Instance } from './instances.js';

const PREFIX = 'hass-auth:';
const DIRECTORY_SLOT = clusterSlotOf('{d}');
const bucketSlot = (bucket: number) => clusterSlotOf(`{${BUCKET_TAGS[bucket] ?? ''}}`);
/** Every fourth bucket (on each of the three masters) moves with the directory. */
const RESHARDED_SLOTS = [DIRECTORY_SLOT, ...[0, 4, 8, 12].map(bucketSlot)];
const REVOCATION_SLOT = clusterSlotOf(redisKeys(PREFIX, { cluster: true }).revocationChannel);
/** The reshard goes on at least this long under traffic, in whole rounds there and back. */
const RESHARD_LASTS_MS = 1_500;

let dir = '';
let cluster: RedisCluster;
let a: Instance;
let b: Instance;
const started: Instance[] = [];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hass-auth-cluster-failover-'));
  const configFile = join(dir, 'auth.yaml');
  writeFileSync(configFile, TRAFFIC_CONFIG);
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  const env = { REDIS_CLUSTER_NODES: cluster.urls.join(','), SECRETS_KEY: TEST_SECRETS_KEY, REDIS_KEY_PREFIX: PREFIX, CONFIG_FILE: configFile, LOG_LEVEL: 'warn' };
  started.push(...(await startInstances(['A', 'B'], () => env)));
  [a, b] = started as [Instance, Instance];
  const owner = await ownerTokens([a, b]);
  for (const instance of [a, b]) sockets.push(await TestSocket.authenticated(instance, owner.access_token));
}, READY_TIMEOUT_MS + 30_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await Promise.all(started.map((instance) => instance.stop()));
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** A live master's node, by port. */
function nodeAt(port: number): ClusterNode {
  const node = cluster.nodes.find((candidate) => candidate.port === port);
  if (node === undefined) throw new Error(`no node on port ${port}`);
  return node;
}

/** The master serving each slot now, as a live master's CLUSTER SLOTS says. */
async function slotOwners(): Promise<(slot: number) => ClusterNode> {
  const [port] = await cluster.masterPorts();
  const client = await rawClient(`redis://127.0.0.1:${port}`);
  try {
    const ranges = await client.clusterSlots();
    return (slot) => {
      const range = ranges.find(({ from, to }) => from <= slot && slot <= to);
      if (range === undefined) throw new Error(`slot ${slot} unserved`);
      return nodeAt(range.master.port);
    };
  } finally {
    client.destroy();
  }
}

async function keysInSlot(node: ClusterNode, slot: number): Promise<number> {
  const client = await rawClient(node.url);
  try {
    return await client.clusterCountKeysInSlot(slot);
  } finally {
    client.destroy();
  }
}

/**
 * Moves each of RESHARDED_SLOTS to the next master (by port) and back, round after round, until
 * `done()` after a round back: the kills below find the layout `--cluster create` made. Resolves
 * with the migrations made and the keys they moved.
 */
async function reshard(done: () => boolean): Promise<{ migrations: number; keysMoved: number; directoryKeys: number }> {
  const masters = (await cluster.masterPorts()).map(nodeAt);
  const ownerOf = await slotOwners();
  const homes = new Map(RESHARDED_SLOTS.map((slot) => [slot, ownerOf(slot)]));
  let migrations = 0;
  let keysMoved = 0;
  let directoryKeys = 0;
  for (let round = 0; round % 2 !== 0 || !done(); round += 1) {
    // One slot after the other, as `redis-cli --cluster reshard` moves them (tried: five at once made
    // a SETSLOT fail with "I'm not the owner of hash slot", and the cluster did not settle).
    for (const [slot, home] of homes) {
      const away = masters[(masters.indexOf(home) + 1) % masters.length] as ClusterNode;
      const [from, to] = round % 2 === 0 ? [home, away] : [away, home];
      const keys = await keysInSlot(from, slot);
      await cluster.migrateSlot(slot, from, to);
      migrations += 1;
      keysMoved += keys;
      if (slot === DIRECTORY_SLOT) directoryKeys = Math.max(directoryKeys, keys);
    }
  }
  return { migrations, keysMoved, directoryKeys };
}

/** A login through the bypass on `instance`, its code exchanged there: fresh tokens. */
async function logIn(instance: Instance): Promise<{ access_token: string; refresh_token: string }> {
  const flow = await postJson(instance, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['trusted_networks', null], redirect_uri: REDIRECT_URI });
  const { result: code } = (await flow.json()) as { result: string };
  const exchanged = await postForm(instance, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });
  expect(exchanged.status).toBe(200);
  return (await exchanged.json()) as { access_token: string; refresh_token: string };
}

/** A revocation on one instance closes, within a second, a socket the token opened on the other (the revocation bus). */
async function expectRevocationClosesSocketElsewhere(): Promise<void> {
  for (const [revoker, holder] of [
    [a, b],
    [b, a],
  ] as const) {
    const tokens = await logIn(revoker);
    const socket = await TestSocket.authenticated(holder, tokens.access_token);
    expect((await postForm(revoker, '/auth/revoke', { token: tokens.refresh_token })).status).toBe(200);
    expect((await socket.closedWithin(1_000)).code).toBe(1000);
  }
}

describe('a live reshard under traffic', () => {
  it('moves the directory and four buckets to other masters and back: no 500, only timely 503s, nothing acknowledged lost', async () => {
    let stopping = false;
    let resharding: ReturnType<typeof reshard> | undefined;
    let moved: Awaited<ReturnType<typeof reshard>> | undefined;
    const traffic = await trafficThrough([a, b], sockets as [TestSocket, TestSocket], {
      name: 'reshard',
      begin: async () => {
        resharding = reshard(() => stopping);
      },
      end: async () => {
        stopping = true;
        moved = await resharding;
        await cluster.settled();
      },
      lastsMs: RESHARD_LASTS_MS,
      // None is needed: node-redis follows MOVED and ASK. But a script whose keys a slot's migration
      // has split between source and target is refused TRYAGAIN (Redis cluster specification,
      // "Multi-keys operations"), which the store answers 503 (connection-errors.ts): measured, a few
      // grants.create, grants.redeem and refreshTokens.loadPresented per reshard.
      errorsPerLoop: 0,
      notReadyDuring: false,
    });
    console.info(
      `faults (reshard): ${moved?.migrations} slot migrations moving ${moved?.keysMoved} keys (directory: ${moved?.directoryKeys}); ` +
        `${traffic.answers.filter(unavailable).length} answers were 503 or home_assistant_error`,
    );
    // The slots held this deployment's records: the directory's, and the buckets'.
    expect(moved?.directoryKeys).toBeGreaterThan(0);
    expect(moved?.keysMoved).toBeGreaterThan(moved?.directoryKeys ?? 0);
    expectOnlyTimelyErrors('reshard', traffic);
    await expectEachCodeRedeemedOnce(traffic, [a, b]);
    await expectNothingAcknowledgedLost(traffic, [a, b], sockets);
  }, 90_000);

  it('closes a socket on one instance when its token is revoked on the other, after the reshard', async () => {
    await expectRevocationClosesSocketElsewhere();
  });
});

/**
 * kill -9 of `victim` under traffic, until its replica serves its slots. Replication is asynchronous
 * (without WAIT, which a cluster refuses: cluster-connection.ts), so a write the killed master
 * acknowledged in its last moments may never have reached its replica: the loss is counted, not
 * refused. Each code is still redeemed at most once among what the run did: the two exchanges of a
 * race are sent together, and a code with a 200 is never exchanged again (expectEachCodeRedeemedOnce
 * retries only codes neither exchange decided), so even a lost redemption is not redeemed twice here.
 */
async function killedUnderTraffic(victim: ClusterNode, name: string): Promise<ClusterNode> {
  let successor: ClusterNode | undefined;
  let faultAt = 0;
  const traffic = await trafficThrough([a, b], sockets as [TestSocket, TestSocket], {
    name,
    begin: async () => {
      ({ successor } = await cluster.killMaster((await cluster.masterPorts()).indexOf(victim.port)));
      faultAt = performance.now();
    },
    end: async () => {
      // The other nodes count the killed one as failed after the node timeout; then its replica is elected.
      await vi.waitFor(async () => expect(await cluster.masterPorts()).toContain(successor?.port), WAIT);
      await cluster.settled();
    },
    lastsMs: 0,
    // Only the killed master's slots fail: a loop may never touch them (a socket's current_user).
    errorsPerLoop: 0,
    notReadyDuring: false,
  });
  expectOnlyTimelyErrors(name, traffic);
  // The kill was met: requests for its slots were refused meanwhile.
  expect(traffic.answers.filter((answer) => answer.sentAt >= faultAt && unavailable(answer)).length).toBeGreaterThan(0);
  await expectEachCodeRedeemedOnce(traffic, [a, b]);
  const lost = await acknowledgedLost(traffic, [a, b]);
  console.info(
    `faults (${name}): acknowledged and lost: ${lost.refreshTokens.length}/${traffic.refreshTokens.length} refresh tokens, ` +
      `${lost.accessTokens.length}/${traffic.accessTokens.length} access tokens, ${lost.longLivedTokens.length}/${traffic.longLivedTokens.length} long-lived tokens, ` +
      `${lost.revokedTokens.length}/${traffic.revokedTokens.length} revocations`,
  );
  for (const socket of sockets) expect(await socket.command({ type: 'ping' })).toMatchObject({ type: 'pong' });
  return successor as ClusterNode;
}

/** On each instance, a login whose token lives on `node` (its bucket's slot is served there), refreshed, and the refreshed token opening /api/. */
async function expectServedOn(node: ClusterNode): Promise<void> {
  const ownerOf = await slotOwners();
  const homeOf = (tokens: { refresh_token: string }) => ownerOf(bucketSlot(clusterBucketOf(sha256Hex(tokens.refresh_token)))).port;
  for (const instance of [a, b]) {
    // The node took over the killed master's buckets, five or six of 16: 64 logins all elsewhere is a 1e-10 chance.
    let tokens = await logIn(instance);
    for (let logins = 1; homeOf(tokens) !== node.port && logins < 64; logins += 1) tokens = await logIn(instance);
    expect(homeOf(tokens)).toBe(node.port);
    const refreshed = await postForm(instance, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const { access_token: accessToken } = (await refreshed.json()) as { access_token: string };
    expect((await getWithBearer(instance, '/api/', accessToken)).status).toBe(200);
  }
}

describe('kill -9 of a master under traffic, its replica taking over', () => {
  /** Kills `victim` under traffic, then checks that both processes serve again and that revocations reach the other instance. */
  async function expectFailoverServed(victim: ClusterNode, name: string): Promise<void> {
    const ownerOf = await slotOwners();
    expect(BUCKET_TAGS.some((_tag, bucket) => ownerOf(bucketSlot(bucket)).port === victim.port)).toBe(true);
    const successor = await killedUnderTraffic(victim, name);
    await expectServedOn(successor);
    await expectRevocationClosesSocketElsewhere();
  }

  it('of a master holding buckets and the revocation channel\'s home: 200, 503 or home_assistant_error within a second, then served again', async () => {
    const ownerOf = await slotOwners();
    const victim = ownerOf(REVOCATION_SLOT);
    // The directory stays up here; the next test kills its master, whose shard still has its replica.
    expect(ownerOf(DIRECTORY_SLOT).port).not.toBe(victim.port);
    await expectFailoverServed(victim, 'kill -9 of a bucket master');
  }, 90_000);

  it('of the master holding the directory: 200, 503 or home_assistant_error within a second, then served again', async () => {
    await expectFailoverServed((await slotOwners())(DIRECTORY_SLOT), 'kill -9 of the directory master');
  }, 90_000);
});
