/**
 * `npm run bench`: every scenario of issue 7 against real processes, then bench/RESULTS.md.
 *
 * The service runs as `npm start` runs it (test/support/service-process.ts), on a redis-server of the
 * bench's own (no persistence, a free port: a million records never touch the shared Redis), and once
 * on SQLite for comparison. The yardstick is bench/bare-route.ts in a process of its own, measured
 * first and last in the same run. Load comes from autocannon in this process (load.ts), WebSocket
 * clients from the tests' client (websocket-load.ts).
 *
 * Scenario `peer` (issue 16, peer-comparison.ts) puts node-oidc-provider beside the service, both on
 * the bench's Redis, in interleaved rounds of: the bare form POST, the peer's refresh grant without
 * and with rotation, the service's refresh grant on Redis (one token per connection; a rotating
 * client; 10 tokens shared by the 50 connections) and on the embedded store, the bare GET route and
 * `GET /api/` with a Bearer token; its targets are ratios between those rows. After the rounds, a
 * CPU profile of the refresh grant and one of a rotating client's (profile-refresh.ts) are summarized in
 * the same section.
 *
 *   npm run bench                                   # 12 to 13 minutes
 *   BENCH_DURATION=3 BENCH_WARMUP=1 npm run bench   # a quick look
 *   BENCH_CPU_PROF=/tmp/prof npm run bench          # also write the Redis service's V8 CPU profile there
 *
 * Other env: BENCH_BULK_TOKENS (1000000), BENCH_IDLE_SOCKETS (10000), BENCH_POOL (1000 refresh tokens),
 * BENCH_PEER_ROUNDS (3). BENCH_ONLY=refresh,million runs only the scenarios named (refresh, code, api,
 * peer, websocket, flood, idle, million, scrape, sqlite, cluster, redis-cluster, sentinel) and logs their rows; RESULTS.md
 * stays as it was (the targets of issue 7 need every scenario) but for the section of `peer`, which
 * such a run rewrites when it names `peer`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openRedisStore } from '../src/stores/redis/redis-store.js';
import type { Store } from '../src/stores/types.js';
import { startBalancedCluster } from '../test/cluster/balancer.js';
import { freePort, killRedisServer, startRedisServer, TEST_SECRETS_KEY, testSealer } from '../test/stores/redis-harness.js';
import { startService, type ServiceProcess } from '../test/support/service-process.js';
import { bearerGets, loadSettings, measureDuring, measureLoad, rotating, rotatingForm, type Measured, type Target } from './load.js';
import { measureAuditAppend } from './audit-cost.js';
import { measureScrape, type ScrapeCost } from './scrape-cost.js';
import { measureFailover, type Failover } from './sentinel-failover.js';
import { compareRedisCluster, type ClusterSetting } from './redis-cluster.js';
import { describeMachine } from './machine.js';
import { cpuMicros } from './process-stats.js';
import { perRequest, redisUsedMemoryBytes, storeOperations } from './store-operations.js';
import { comparePeer } from './peer-comparison.js';
import { profileRefreshGrant } from './profile-refresh.js';
import { renderReport, withPeerSection, type PeerComparison, type Report, type Row, type Target as Goal } from './results-report.js';
import {
  CLIENT_ID,
  OWNER,
  TRUSTED_LOOPBACK_CONFIG,
  cloneRefreshTokens,
  codeBody,
  codeCredential,
  exchangeCode,
  issueCodes,
  onboardOwner,
  passwordFlows,
  postToken,
  refreshBody,
  trustedLogins,
} from './seeding.js';
import { measureHandshakes, measureIdleSockets, type IdleSockets } from './websocket-load.js';

const POOL = Number(process.env.BENCH_POOL ?? 1000);
const BULK_TOKENS = Number(process.env.BENCH_BULK_TOKENS ?? 1_000_000);
const IDLE_SOCKETS = Number(process.env.BENCH_IDLE_SOCKETS ?? 10_000);
/** Codes are single-use: enough for this many exchanges per second over warm-up and measurement. */
const CODES_PER_SECOND = 4000;
const PREFIX = 'bench:';
/** The bench's own store writes thousands at a time; the service's default (a request's patience) is too short for a batch. */
const SEEDING_TIMEOUT_MS = 30_000;
const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));

const settings = loadSettings;
/** Refresh grants under the profiler after the side-by-side (bench/profile-refresh.ts). */
const PROFILED_GRANTS = 20_000;
const SCENARIOS = ['refresh', 'code', 'api', 'peer', 'websocket', 'flood', 'idle', 'million', 'scrape', 'sqlite', 'cluster', 'redis-cluster', 'sentinel'] as const;
const onlyList = process.env.BENCH_ONLY?.split(',').map((name) => name.trim()).filter((name) => name !== '');
const unknownScenario = onlyList?.find((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknownScenario !== undefined) throw new Error(`BENCH_ONLY: no scenario ${unknownScenario} (${SCENARIOS.join(', ')})`);
const runs = (scenario: (typeof SCENARIOS)[number]) => onlyList === undefined || onlyList.includes(scenario);
const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const pidOf = (service: ServiceProcess) => service.child.pid as number;

const cleanups: Array<() => Promise<unknown>> = [];
const later = (cleanup: () => Promise<unknown>) => cleanups.unshift(cleanup);

const rows: Row[] = [];
const notes: string[] = [];

/** The yardstick, measured again right before each scenario it is compared with (the machine is shared). */
let bareNow: () => Promise<Measured> = () => Promise.reject(new Error('the bare route is not running'));

/**
 * Measures the bare route, then `target` on `service`, and records the row with the store round
 * trips per request (the service's own metrics, over warm-up and measured part) and, on the bench's
 * Redis, Redis' CPU per request (over the measured part only).
 *
 * A scrape of `/metrics` also counts the records per state (`hass_auth_records`, from the counts the
 * writes keep: scenario `scrape` measures it); the scrape waits for its count, so none runs during a
 * measured part.
 */
async function measureService(service: ServiceProcess, row: Omit<Row, 'measured' | 'bare'>, target: Target, redisPid?: number): Promise<Row> {
  const bare = await bareNow();
  const scrapeStarted = performance.now();
  const operations = await storeOperations(service.baseUrl);
  const scrapeMs = performance.now() - scrapeStarted;
  let redisBefore = 0;
  const measured = await measureLoad([pidOf(service)], target, settings, async () => {
    if (redisPid !== undefined) redisBefore = cpuMicros(redisPid);
  });
  const redisCpuUs = redisPid === undefined ? undefined : (cpuMicros(redisPid) - redisBefore) / measured.requests;
  const operationsAfter = await storeOperations(service.baseUrl);
  const roundTrips = perRequest(operations, operationsAfter, measured.requests + measured.warmupRequests);
  log(`${row.scenario}: the scrape before it took ${scrapeMs.toFixed(0)} ms`);
  return record({ ...row, bare, measured, ...(redisCpuUs === undefined ? {} : { redisCpuUs }), roundTrips });
}

function record(row: Row): Row {
  rows.push(row);
  const { requestsPerSecond, p99Ms, failures } = row.measured;
  const bare = row.bare === undefined ? '' : ` (bare route just before: ${row.bare.requestsPerSecond.toFixed(0)} req/s)`;
  const cpu = `${row.measured.cpuUsPerRequest.toFixed(0)} µs server CPU${row.redisCpuUs === undefined ? '' : `, ${row.redisCpuUs.toFixed(0)} µs Redis CPU`} per request`;
  const trips = row.roundTrips === undefined ? '' : `; round trips: ${row.roundTrips}`;
  log(`${row.scenario}: ${requestsPerSecond.toFixed(0)} req/s${bare}, p99 ${p99Ms.toFixed(1)} ms, ${cpu}, ${failures} failures${trips}`);
  return row;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-bench-'));
  later(() => rm(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, TRUSTED_LOOPBACK_CONFIG);

  const redisPort = await freePort();
  const redisServer: ChildProcess = await startRedisServer(redisPort);
  later(() => killRedisServer(redisServer));
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const redisPid = redisServer.pid as number;

  const bareRoute = await startService({}, { entry: 'bench/bare-route.ts' });
  later(() => bareRoute.stop());
  const profiling = process.env.BENCH_CPU_PROF;
  const service = await startService(
    { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: PREFIX, SECRETS_KEY: TEST_SECRETS_KEY, CONFIG_FILE: configFile, LOG_LEVEL: 'warn' },
    profiling === undefined ? {} : { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profiling] },
  );
  later(() => service.stop());
  const store: Store = await openRedisStore({ url: redisUrl, keyPrefix: PREFIX, sealer: testSealer(), commandTimeoutMs: SEEDING_TIMEOUT_MS });
  later(() => store.close());

  log(`seeding: owner, ${POOL} refresh tokens through trusted_networks logins`);
  const onboardingCode = await onboardOwner(service.baseUrl);
  const credential = await codeCredential(store, onboardingCode);
  // Never presented: the template of the bulk tokens must stay at its first revision.
  const template = await exchangeCode(service.baseUrl, onboardingCode);
  const pool = await trustedLogins(service.baseUrl, POOL);
  const refreshBodies = pool.map((tokens) => refreshBody(tokens.refreshToken));
  const accessTokens = pool.map((tokens) => tokens.accessToken);

  bareNow = () => measureLoad([pidOf(bareRoute)], rotatingForm(bareRoute.baseUrl, '/auth/token', refreshBodies));

  const refreshPool = () => rotatingForm(service.baseUrl, '/auth/token', refreshBodies);
  const key: Partial<Key> = {};
  let scrapeFew: ScrapeCost | undefined;
  if (runs('scrape')) {
    scrapeFew = await measureScrape(service.baseUrl, store);
    log(`scrape: ${describeScrape(scrapeFew)}`);
  }
  if (runs('refresh') || runs('million')) {
    key.refresh = await measureService(service, { scenario: 'refresh grant', setup: `Redis, ${POOL} tokens stored, rotating over all` }, refreshPool(), redisPid);
  }
  if (runs('refresh')) {
    const audit = await measureAuditAppend(store, redisPid);
    const auditShare = (part: number, whole: number | undefined) => `${((100 * part) / (whole ?? Number.NaN)).toFixed(0)} %`;
    notes.push(
      `Audit trail: one append (the script of src/stores/redis/audit.ts, appended again 20000 times from the bench's own store) cost ${audit.clientCpuUs.toFixed(0)} µs of the appending process's CPU and ${audit.redisCpuUs.toFixed(0)} µs of Redis' CPU. ` +
        `A refresh grant writes one transition, so one append: about ${auditShare(audit.clientCpuUs, key.refresh?.measured.cpuUsPerRequest)} of its server CPU and ${auditShare(audit.redisCpuUs, key.refresh?.redisCpuUs)} of its Redis CPU in this run.`,
    );
  }

  if (runs('code')) await codeExchange(service, store, credential, redisPid);
  if (runs('api')) key.api = await measureService(service, { scenario: 'GET /api/ with a Bearer token', setup: `Redis, ${POOL} access tokens rotating` }, bearerGets(service.baseUrl, accessTokens), redisPid);
  let peer: PeerComparison | undefined;
  if (runs('peer')) {
    peer = await comparePeer({ bareRoute, service, redisUrl, redisPid, configFile, dir, pool, later, log });
    log('CPU profiles of the refresh grant, and of a rotating client\'s');
    peer.profile = await profileRefreshGrant('redis', PROFILED_GRANTS, { redisUrl });
    peer.rotationProfile = await profileRefreshGrant('redis', PROFILED_GRANTS, { redisUrl, rotating: true });
  }

  if (runs('websocket')) {
    log('WebSocket handshake cycles');
    const handshakes = await measureHandshakes(service.baseUrl, pidOf(service), accessTokens, settings);
    record({ scenario: 'WebSocket connect, auth, auth/current_user, close', setup: `Redis, ${settings.connections} clients in a loop`, measured: handshakes });
  }

  if (runs('flood')) key.flooded = await refreshDuringFlood(service, refreshPool());

  if (runs('idle')) {
    log(`${IDLE_SOCKETS} idle sockets`);
    key.idle = await measureIdleSockets(service.baseUrl, pidOf(service), accessTokens, IDLE_SOCKETS);
  }

  const bulk = () => seedBulk(service, store, template.refreshToken, redisUrl);
  if (runs('million')) Object.assign(key, await amongAMillion(service, await bulk(), refreshPool(), redisPid));
  if (scrapeFew !== undefined) {
    await bulk();
    const scrapeMany = await measureScrape(service.baseUrl, store);
    log(`scrape: ${describeScrape(scrapeMany)}`);
    key.scrape = { few: scrapeFew, many: scrapeMany };
    notes.push(
      `Scrape cost (issue 15): with ${scrapeFew.tokens} refresh tokens stored, ${describeScrape(scrapeFew)}; with ${scrapeMany.tokens}, ${describeScrape(scrapeMany)}. ` +
        'The counts per state are kept by the writes, so a count reads one sorted set per state, not the records.',
    );
  }
  if (runs('sqlite')) await sqliteScenarios(dir, configFile);
  if (runs('cluster')) await throughHaproxy(redisUrl);
  if (runs('redis-cluster')) await onRedisCluster({ service, refreshBodies, redisPid, configFile, keyPrefix: PREFIX, later, log });
  const failovers: Failover[] = [];
  if (runs('sentinel')) {
    for (const minReplicasAck of [0, 1]) {
      log(`Sentinel failover, REDIS_MIN_REPLICAS_ACK=${minReplicasAck}`);
      const failover = await measureFailover(configFile, minReplicasAck);
      log(`killed master: promoted after ${failover.promotionMs.toFixed(0)} ms, first 200 after ${failover.firstOkMs.toFixed(0)} ms; meanwhile ${JSON.stringify(failover.meanwhile)}`);
      failovers.push(failover);
    }
  }

  if (onlyList !== undefined) {
    for (const note of notes) log(note);
    if (peer === undefined) {
      log(`BENCH_ONLY=${onlyList.join(',')}: ${RESULTS} left as it was`);
      return;
    }
    await writeFile(RESULTS, withPeerSection(await readFile(RESULTS, 'utf8'), peer));
    log(`BENCH_ONLY=${onlyList.join(',')}: rewrote the node-oidc-provider section of ${RESULTS}, left the rest as it was`);
    return;
  }
  const { refresh, api, million, control, flooded, idle, scrape } = key;
  if (refresh === undefined || api === undefined || million === undefined || control === undefined || flooded === undefined || idle === undefined || scrape === undefined || peer === undefined) {
    throw new Error('a full run measured every scenario');
  }
  const report: Report = { machine, settings, rows, idle, failovers, targets: [], peer, notes };
  report.targets = targets(report, { refresh, api, million, control, flooded, idle, scrape });
  notes.push(
    'The machine is shared: other work on the same cores during the run shows as differences between the bare-route runs and as noise in every row; each ratio is to the bare route measured just before its scenario, so that both saw about the same machine.',
    'Ratios to the bare route compare requests per second with the load generator on the same cores: the bare route leaves it more of the CPU, so the ratios understate the service slightly.',
  );
  await writeFile(RESULTS, renderReport(report));
  log(`wrote ${RESULTS}`);
}

async function codeExchange(service: ServiceProcess, store: Store, credential: Awaited<ReturnType<typeof codeCredential>>, redisPid: number): Promise<void> {
  const codeCount = Math.ceil(CODES_PER_SECOND * (settings.durationS + settings.warmupS));
  log(`issuing ${codeCount} authorization codes`);
  const codes = await issueCodes(store, credential, codeCount);
  await measureService(service, { scenario: 'code exchange', setup: `Redis, each of ${codeCount} codes once` }, rotatingForm(service.baseUrl, '/auth/token', codes.map((code) => codeBody(code))), redisPid);
}

async function refreshDuringFlood(service: ServiceProcess, refreshPool: Target): Promise<Key['flooded']> {
  log('refresh grant during a password-guessing flood');
  const flows = await passwordFlows(service.baseUrl, settings.connections);
  const flood = rotating(
    service.baseUrl,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: CLIENT_ID, username: OWNER.username, password: 'a wrong guess' }) },
    (n) => ({ path: `/auth/login_flow/${flows[n % flows.length] as string}` }),
  );
  const bareBeforeFlood = await bareNow();
  const during = await measureDuring(refreshPool, flood);
  record({ scenario: 'refresh grant during a password-guessing flood', setup: `Redis; ${settings.connections} more connections posting wrong passwords`, measured: during.measured, bare: bareBeforeFlood });
  record({ scenario: '(the flood itself: wrong-password login steps)', setup: `${flows.length} login flows, bcrypt cost 12`, measured: during.background });
  const statuses = Object.entries(during.background.statuses).map(([code, count]) => `${count} × ${code}`).join(', ');
  notes.push(`Flood: ${during.background.requests} guesses answered (${statuses}). Failed logins are counted per address; bans are off (Home Assistant's default threshold -1).`);
  return during;
}

const describeScrape = (cost: ScrapeCost) =>
  `GET /metrics took ${cost.scrapeMs.toFixed(1)} ms (median of those that counted) and one countByState ${cost.countMs.toFixed(2)} ms`;

let bulkSample: Promise<string[]> | undefined;

/** Fills the store up to BULK_TOKENS refresh tokens, once whichever scenario asks first; the tokens to rotate over. */
function seedBulk(service: ServiceProcess, store: Store, templateToken: string, redisUrl: string): Promise<string[]> {
  bulkSample ??= seedBulkTokens(service, store, templateToken, redisUrl);
  return bulkSample;
}

async function seedBulkTokens(service: ServiceProcess, store: Store, templateToken: string, redisUrl: string): Promise<string[]> {
  const bulk = BULK_TOKENS - POOL - 1;
  log(`seeding ${bulk} more refresh tokens through the store`);
  const seedStarted = performance.now();
  const sample = await cloneRefreshTokens(store, templateToken, bulk, Math.max(1, Math.floor(bulk / POOL)));
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  // The seeded layout must be the one the service reads: a seeded token refreshes over HTTP.
  const probe = await postToken(service.baseUrl, refreshBody(sample[Math.floor(Math.random() * sample.length)] as string));
  if (typeof probe.access_token !== 'string') throw new Error(`a seeded token did not refresh: ${JSON.stringify(probe)}`);
  const redisMemory = await redisUsedMemoryBytes(redisUrl);
  notes.push(
    `Bulk seeding: ${bulk} refresh tokens written through the store's own \`refreshTokens.create\` in ${seedSeconds.toFixed(0)} s; a random one refreshed over HTTP before the run; Redis used_memory afterwards ${(redisMemory / 2 ** 20).toFixed(0)} MiB (with the per-state sets of the counts: one member per token).`,
  );
  return sample;
}

/** The refresh grant among the bulk tokens and, as a control, the first pool again. */
async function amongAMillion(service: ServiceProcess, sample: string[], refreshPool: Target, redisPid: number): Promise<Pick<Key, 'million' | 'control'>> {
  const million = await measureService(service, { scenario: `refresh grant, ${BULK_TOKENS} tokens stored`, setup: `Redis, ${sample.length} of them rotating` }, rotatingForm(service.baseUrl, '/auth/token', sample.map((secret) => refreshBody(secret))), redisPid);
  // A control: the first scenario's tokens again, now among the million, to tell the keyspace from the machine's drift.
  const control = await measureService(service, { scenario: `refresh grant, the first ${POOL} tokens again`, setup: `Redis, ${BULK_TOKENS} stored (control)` }, refreshPool, redisPid);
  return { million, control };
}

async function sqliteScenarios(dir: string, configFile: string): Promise<void> {
  log('SQLite');
  const sqliteDir = join(dir, 'sqlite');
  const onSqlite = await startService({ DATA_DIR: sqliteDir, CONFIG_FILE: configFile, LOG_LEVEL: 'warn' });
  later(() => onSqlite.stop());
  await exchangeCode(onSqlite.baseUrl, await onboardOwner(onSqlite.baseUrl));
  const sqlitePool = await trustedLogins(onSqlite.baseUrl, POOL);
  const sqliteRefresh = sqlitePool.map((tokens) => refreshBody(tokens.refreshToken));
  await measureService(onSqlite, { scenario: 'refresh grant', setup: `SQLite, ${POOL} tokens` }, rotatingForm(onSqlite.baseUrl, '/auth/token', sqliteRefresh));
  await measureService(onSqlite, { scenario: 'GET /api/ with a Bearer token', setup: `SQLite, ${POOL} access tokens` }, bearerGets(onSqlite.baseUrl, sqlitePool.map((tokens) => tokens.accessToken)));
  await onSqlite.stop();
}

async function throughHaproxy(redisUrl: string): Promise<void> {
  log('three instances behind haproxy');
  const cluster = await startBalancedCluster(['A', 'B', 'C'], { REDIS_URL: redisUrl, LOG_LEVEL: 'warn' });
  later(() => cluster.close());
  const clusterStore = await openRedisStore({ url: redisUrl, keyPrefix: cluster.prefix, sealer: testSealer(), commandTimeoutMs: SEEDING_TIMEOUT_MS });
  later(() => clusterStore.close());
  const clusterTemplate = await exchangeCode(cluster.baseUrl, await onboardOwner(cluster.baseUrl));
  const clusterPool = await cloneRefreshTokens(clusterStore, clusterTemplate.refreshToken, POOL, 1);
  // CPU is spread over three instances and haproxy, so the row has none; its ratio is informative.
  const bareBeforeCluster = await bareNow();
  const through = await measureLoad([], rotatingForm(cluster.baseUrl, '/auth/token', clusterPool.map((secret) => refreshBody(secret))));
  record({ scenario: 'refresh grant through haproxy, 3 instances', setup: `Redis, ${POOL} tokens; informative`, measured: { ...through, cpuUsPerRequest: Number.NaN }, bare: bareBeforeCluster });
  await cluster.close();
}

/** The refresh grant on a three-master Redis Cluster beside one server (bench/redis-cluster.ts). */
async function onRedisCluster(setting: ClusterSetting): Promise<void> {
  const compared = await compareRedisCluster(setting);
  const { server, cluster } = compared.typical;
  const rounds = compared.rounds.map(({ server: one, cluster: three }) => (three.measured.requestsPerSecond / one.measured.requestsPerSecond).toFixed(2)).join(', ');
  record({ scenario: 'refresh grant', setup: `Redis Cluster, 3 masters on loopback, ${compared.tokens} tokens (the median round)`, measured: cluster.measured, redisCpuUs: cluster.redisCpuUs });
  record({ scenario: 'refresh grant', setup: `one Redis, in the same round`, measured: server.measured, redisCpuUs: server.redisCpuUs });
  notes.push(
    `Redis Cluster (issue 15): the refresh grant on three masters ran at ${compared.ratio.toFixed(2)} of its rate on one server (median of ${compared.rounds.length} interleaved rounds: ${rounds}). ` +
      `Per request the service used ${cluster.measured.cpuUsPerRequest.toFixed(0)} µs of CPU against ${server.measured.cpuUsPerRequest.toFixed(0)} µs, and Redis ${cluster.redisCpuUs.toFixed(0)} µs (three masters together) against ${server.redisCpuUs.toFixed(0)} µs. ` +
      'On one machine the masters share its two cores, so this measures what the layout costs (the directory read apart: 3 round trips against 2), not what more machines would add.',
  );
}

interface Key {
  refresh: Row;
  scrape: { few: ScrapeCost; many: ScrapeCost };
  api: Row;
  million: Row;
  control: Row;
  flooded: { measured: Measured; background: Measured };
  idle: IdleSockets;
}

const ratioToBare = (row: Row) => row.measured.requestsPerSecond / (row.bare?.requestsPerSecond ?? Number.NaN);

function targets(report: Report, key: Key): Goal[] {
  const ratioGoal = (what: string, row: Row, goal: number): Goal => {
    const ratio = ratioToBare(row);
    const bareCpu = row.bare?.cpuUsPerRequest ?? Number.NaN;
    const why =
      `the service used ${row.measured.cpuUsPerRequest.toFixed(0)} µs of CPU per request (and Redis ${(row.redisCpuUs ?? Number.NaN).toFixed(0)} µs) ` +
      `against the bare route's ${bareCpu.toFixed(0)} µs just before; ${goal} of the bare rate needs about ${(bareCpu / goal).toFixed(0)} µs or less, ` +
      `on ${report.machine.cores} cores shared with the load generator and Redis. Round trips: ${row.roundTrips ?? '—'}.`;
    return { what, goal: `≥ ${goal} of the bare route`, value: ratio.toFixed(2), met: ratio >= goal, why };
  };
  const { refresh, million, flooded } = key;
  const idleKiB = key.idle.bytesPerSocket / 1024;
  const millionRatio = million.measured.requestsPerSecond / refresh.measured.requestsPerSecond;
  const floodRatio = flooded.measured.requestsPerSecond / refresh.measured.requestsPerSecond;
  const scrapeRatio = key.scrape.many.scrapeMs / key.scrape.few.scrapeMs;
  const floodStatuses = Object.entries(flooded.background.statuses).map(([code, count]) => `${count} × ${code}`).join(', ');
  return [
    ratioGoal('refresh grant (Redis)', refresh, 0.5),
    {
      what: `refresh grant p99 at ${report.settings.connections} connections`,
      goal: '≤ 25 ms',
      value: `${refresh.measured.p99Ms} ms`,
      met: refresh.measured.p99Ms <= 25,
      why:
        `p50 was ${refresh.measured.p50Ms} ms: with ${report.settings.connections} requests in flight on one event loop, each waits for the others' ` +
        `${refresh.measured.cpuUsPerRequest.toFixed(0)} µs of CPU; the tail is that queue plus GC pauses and the other processes on the cores.`,
    },
    ratioGoal('GET /api/ with a Bearer token', key.api, 0.7),
    {
      what: `refresh grant, ${BULK_TOKENS} vs ${POOL} stored tokens`,
      goal: '≥ 0.9',
      value: millionRatio.toFixed(2),
      met: millionRatio >= 0.9,
      why:
        `every lookup is by key (the secret's hash, then the record, in one script), the same round trips either way; per request the service used ` +
        `${million.measured.cpuUsPerRequest.toFixed(0)} µs of CPU with ${BULK_TOKENS} tokens against ${refresh.measured.cpuUsPerRequest.toFixed(0)} µs with ${POOL}, ` +
        `and Redis ${(million.redisCpuUs ?? Number.NaN).toFixed(0)} µs against ${(refresh.redisCpuUs ?? Number.NaN).toFixed(0)} µs. ` +
        `The first ${POOL} tokens again right after, among the ${BULK_TOKENS}, ran at ${key.control.measured.requestsPerSecond.toFixed(0)} req/s ` +
        `(${(key.control.measured.requestsPerSecond / refresh.measured.requestsPerSecond).toFixed(2)} of their first run, ${ratioToBare(key.control).toFixed(2)} of the bare route then).`,
    },
    {
      what: `scrape of /metrics, ${key.scrape.many.tokens} vs ${key.scrape.few.tokens} stored tokens`,
      goal: '≤ 2x',
      value: `${scrapeRatio.toFixed(2)}x`,
      met: scrapeRatio <= 2,
      why: `${describeScrape(key.scrape.many)} against ${describeScrape(key.scrape.few)}; a count reads one sorted set per state, and trims the members whose record expired since.`,
    },
    {
      what: 'memory per idle authenticated socket',
      goal: '≤ 32 KiB',
      value: `${idleKiB.toFixed(1)} KiB`,
      met: idleKiB <= 32,
      why: 'RSS growth over the sockets divided by their number (see "Idle authenticated sockets").',
    },
    {
      what: 'refresh grant during a password-guessing flood, vs without',
      goal: '> 0.5',
      value: floodRatio.toFixed(2),
      met: floodRatio > 0.5,
      why:
        `the flood sent ${flooded.background.requestsPerSecond.toFixed(0)} guesses/s (${floodStatuses}); every guess, even one refused with 429, is a request ` +
        'the same event loop and cores must answer, besides the bcrypt checks that do run.',
    },
  ];
}

try {
  await main();
} finally {
  for (const cleanup of cleanups) await cleanup().catch((error: unknown) => console.error('cleanup:', error));
}
