/**
 * Scenario `peer` of bench/run.ts (issue 16): this service's refresh grant side by side with
 * node-oidc-provider's (oidc-peer.ts, in processes of their own on the bench's Redis), and the
 * yardsticks the targets are ratios to, in one run. Rounds are interleaved (every row once per
 * round, in the same order), so that a slow minute of the shared machine hits every row alike; each
 * ratio is the median of the rounds' ratios.
 *
 * Every refresh row but one presents one token per connection (load.ts `tokenPool`, 50 tokens for 50
 * connections); rotating rows follow each answer's new refresh token and start each autocannon run
 * (warm-up, measured part) from freshly issued tokens, since the last run's requests in flight spent
 * theirs. The exception shares 10 tokens among the 50 connections: concurrent uses of one token.
 *
 *   BENCH_ONLY=peer npm run bench            # this scenario alone; rewrites only its section of RESULTS.md
 *
 * Env: BENCH_PEER_ROUNDS (3), with BENCH_DURATION and BENCH_WARMUP for each row of each round.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startService, type ServiceProcess } from '../test/support/service-process.js';
import { bearerGets, loadSettings, measureLoad, rotatingForm, tokenPool, type Target } from './load.js';
import { describeMachine } from './machine.js';
import { openPeer, PEER_CLIENT_ID, seedPeerRefreshTokens } from './oidc-peer.js';
import { cpuMicros } from './process-stats.js';
import { median, type PeerComparison, type PeerMeasured, type PeerRow, type PeerRowId, type Target as Goal } from './results-report.js';
import { exchangeCode, formBody, onboardOwner, refreshBody, ROTATING_CLIENT, trustedLogins, type Tokens } from './seeding.js';

const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3);
const SHARED_TOKENS = 10;
const settings = loadSettings;

export interface PeerSetting {
  bareRoute: ServiceProcess;
  /** The service on the bench's Redis, started with TRUSTED_LOOPBACK_CONFIG in `configFile`. */
  service: ServiceProcess;
  redisUrl: string;
  redisPid: number;
  configFile: string;
  /** A directory for the embedded store's data. */
  dir: string;
  /** Logins of the frontend client on `service`: one token per connection, then SHARED_TOKENS more. */
  pool: Tokens[];
  later: (cleanup: () => Promise<unknown>) => void;
  log: (message: string) => void;
}

interface Contender {
  id: PeerRowId;
  scenario: string;
  setup: string;
  pid: number;
  target: Target;
  /** Whether it works on the bench's Redis, whose CPU per request is then read too. */
  onRedis: boolean;
  /** Before each autocannon run: the tokens it starts from. */
  beforeRun: () => Promise<void>;
}

const pidOf = (process: ServiceProcess) => process.child.pid as number;
const peerRefreshBody = (token: string) => formBody({ grant_type: 'refresh_token', client_id: PEER_CLIENT_ID, refresh_token: token });

/** A refresh-grant row: one token per connection, from `tokens` before each run (the same ones, or new ones where rotation spends them). */
function refreshContender(row: Omit<Contender, 'target' | 'beforeRun'>, url: string, path: string, body: (token: string) => string, tokens: () => Promise<string[]>): Contender {
  const pool = tokenPool(url, path, body);
  return { ...row, target: pool.target, beforeRun: async () => pool.refill(await tokens()) };
}

const peerVersion = async () =>
  (JSON.parse(await readFile(new URL('../node_modules/oidc-provider/package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function comparePeer(setting: PeerSetting): Promise<PeerComparison> {
  const version = await peerVersion();
  setting.log(`peer: node-oidc-provider ${version}, rotation off and on, and this service on the embedded store`);
  const contenders = await contendersFor(setting, version);
  const rows: PeerRow[] = contenders.map(({ id, scenario, setup }) => ({ id, scenario, setup, rounds: [] }));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [index, contender] of contenders.entries()) {
      const measured = await measure(contender, setting.redisPid);
      (rows[index] as PeerRow).rounds.push(measured);
      const redis = measured.redisCpuUs === undefined ? '' : `, ${measured.redisCpuUs.toFixed(0)} µs Redis CPU`;
      setting.log(
        `peer round ${round}/${ROUNDS}, ${contender.scenario} (${contender.setup}): ${measured.requestsPerSecond.toFixed(0)} req/s, p99 ${measured.p99Ms} ms, ` +
          `${measured.cpuUsPerRequest.toFixed(0)} µs server CPU${redis} per request, ${measured.failures} failures`,
      );
    }
  }
  return { machine: describeMachine(), peerVersion: version, settings, rounds: ROUNDS, rows, targets: peerTargets(rows) };
}

/** Starts the peer (rotation off, on) and the service on the embedded store, seeds each, and lists the rows of a round in order. */
async function contendersFor(setting: PeerSetting, version: string): Promise<Contender[]> {
  const { bareRoute, service, redisUrl, pool, later } = setting;
  const connections = settings.connections;
  if (pool.length < connections + SHARED_TOKENS) throw new Error(`the peer scenario needs ${connections + SHARED_TOKENS} logins (BENCH_POOL)`);
  const [peerFixed, peerRotating, embedded] = await Promise.all([
    startService({ REDIS_URL: redisUrl, PEER_ROTATION: 'off' }, { entry: 'bench/oidc-peer-server.ts' }),
    startService({ REDIS_URL: redisUrl, PEER_ROTATION: 'on' }, { entry: 'bench/oidc-peer-server.ts' }),
    startService({ DATA_DIR: join(setting.dir, 'peer-embedded'), CONFIG_FILE: setting.configFile, LOG_LEVEL: 'warn' }),
  ]);
  for (const started of [peerFixed, peerRotating, embedded]) later(() => started.stop());
  const seeder = await openPeer({ redisUrl, rotateRefreshToken: false });
  later(() => seeder.close());
  await exchangeCode(embedded.baseUrl, await onboardOwner(embedded.baseUrl));

  const peerTokens = await seedPeerRefreshTokens(seeder.provider, connections);
  const redisTokens = pool.slice(0, connections).map((tokens) => tokens.refreshToken);
  const embeddedTokens = (await trustedLogins(embedded.baseUrl, connections)).map((tokens) => tokens.refreshToken);
  const sharedBodies = pool.slice(connections, connections + SHARED_TOKENS).map((tokens) => refreshBody(tokens.refreshToken));
  const accessTokens = pool.map((tokens) => tokens.accessToken);
  const rotatingLogins = async () => (await trustedLogins(service.baseUrl, connections, { client: ROTATING_CLIENT })).map((tokens) => tokens.refreshToken);
  const same = (tokens: string[]) => async () => tokens;
  const fixedTarget = (target: Target) => ({ target, beforeRun: async () => undefined });
  const perConnection = `${connections} connections, one token each`;
  const [bare, peer, peerRotated, redis, embeddedPid] = [bareRoute, peerFixed, peerRotating, service, embedded].map(pidOf) as [number, number, number, number, number];

  return [
    refreshContender({ id: 'barePost', scenario: 'bare Fastify form POST', setup: 'bench/bare-route.ts, the refresh grant\'s bodies', pid: bare, onRedis: false }, bareRoute.baseUrl, '/auth/token', refreshBody, same(redisTokens)),
    refreshContender({ id: 'peer', scenario: `node-oidc-provider ${version}, no rotation`, setup: `its Redis adapter; ${perConnection}`, pid: peer, onRedis: true }, peerFixed.baseUrl, '/token', peerRefreshBody, same(peerTokens)),
    refreshContender(
      { id: 'peerRotating', scenario: `node-oidc-provider ${version}, rotation on`, setup: `its Redis adapter; ${perConnection}, the newest`, pid: peerRotated, onRedis: true },
      peerRotating.baseUrl, '/token', peerRefreshBody, () => seedPeerRefreshTokens(seeder.provider, connections),
    ),
    refreshContender({ id: 'redis', scenario: 'this service, refresh grant', setup: `Redis; ${perConnection}`, pid: redis, onRedis: true }, service.baseUrl, '/auth/token', refreshBody, same(redisTokens)),
    refreshContender(
      { id: 'redisRotating', scenario: 'this service, refresh grant, rotating client', setup: `Redis; ${perConnection}, the newest`, pid: redis, onRedis: true },
      service.baseUrl, '/auth/token', (token) => refreshBody(token, ROTATING_CLIENT.clientId), rotatingLogins,
    ),
    refreshContender({ id: 'embedded', scenario: 'this service, refresh grant', setup: `embedded store, SQLite; ${perConnection}`, pid: embeddedPid, onRedis: false }, embedded.baseUrl, '/auth/token', refreshBody, same(embeddedTokens)),
    { id: 'shared', scenario: 'this service, refresh grant, tokens shared', setup: `Redis; ${connections} connections, ${SHARED_TOKENS} tokens`, pid: redis, onRedis: true, ...fixedTarget(rotatingForm(service.baseUrl, '/auth/token', sharedBodies)) },
    { id: 'bareGet', scenario: 'bare Fastify GET', setup: 'bench/bare-route.ts GET /api/, the same Authorization headers', pid: bare, onRedis: false, ...fixedTarget(bearerGets(bareRoute.baseUrl, accessTokens)) },
    { id: 'api', scenario: 'this service, GET /api/ with a Bearer token', setup: `Redis; ${accessTokens.length} access tokens`, pid: redis, onRedis: true, ...fixedTarget(bearerGets(service.baseUrl, accessTokens)) },
  ];
}

async function measure(contender: Contender, redisPid: number): Promise<PeerMeasured> {
  await contender.beforeRun();
  let redisBefore = 0;
  const measured = await measureLoad([contender.pid], contender.target, settings, async () => {
    await contender.beforeRun();
    redisBefore = cpuMicros(redisPid);
  });
  return contender.onRedis ? { ...measured, redisCpuUs: (cpuMicros(redisPid) - redisBefore) / measured.requests } : measured;
}

/** The targets of issue 16, each the median over the rounds of that round's ratio. */
export function peerTargets(rows: PeerRow[]): Goal[] {
  const row = (id: PeerRowId) => {
    const found = rows.find((candidate) => candidate.id === id);
    if (found === undefined) throw new Error(`no row ${id}`);
    return found;
  };
  const rate = (m: PeerMeasured) => m.requestsPerSecond;
  const cpu = (m: PeerMeasured) => m.cpuUsPerRequest;
  const ratio = (a: PeerRowId, b: PeerRowId, of: (m: PeerMeasured) => number) =>
    median(row(a).rounds.map((measured, round) => of(measured) / of(row(b).rounds[round] as PeerMeasured)));
  const costs = (id: PeerRowId) => {
    const { scenario, setup, rounds } = row(id);
    const redis = rounds.some((m) => m.redisCpuUs !== undefined) ? ` and Redis ${median(rounds.map((m) => m.redisCpuUs ?? Number.NaN)).toFixed(0)} µs` : '';
    // CPU per request times requests per second: how busy the process was. Near 1, its one event
    // loop is what bounds its rate (it can pass 1: V8 and libuv also work on threads of their own).
    const cores = median(rounds.map((m) => (m.cpuUsPerRequest * m.requestsPerSecond) / 1e6));
    return `${scenario} (${setup}) used ${median(rounds.map(cpu)).toFixed(0)} µs of its process's CPU${redis} per request (its process busy ${cores.toFixed(2)} of a core)`;
  };
  const atLeast = (what: string, a: PeerRowId, b: PeerRowId, goal: number): Goal => {
    const value = ratio(a, b, rate);
    return { what, goal: `≥ ${goal}`, value: value.toFixed(2), met: value >= goal, why: `${costs(a)}; ${costs(b)}.` };
  };
  const p99 = median(row('redis').rounds.map((m) => m.p99Ms));
  const cpuRatio = ratio('api', 'bareGet', cpu);
  return [
    atLeast('refresh grant on Redis / node-oidc-provider without rotation, req/s', 'redis', 'peer', 1.5),
    atLeast('refresh grant on Redis / bare form POST, req/s', 'redis', 'barePost', 0.5),
    atLeast(`${SHARED_TOKENS} tokens shared by the connections / one token per connection, req/s`, 'shared', 'redis', 0.9),
    {
      what: 'refresh grant p99 on Redis, one token per connection',
      goal: '≤ 25 ms',
      value: `${p99} ms`,
      met: p99 <= 25,
      why: `p50 was ${median(row('redis').rounds.map((m) => m.p50Ms))} ms; ${costs('redis')}: each request waits for the others in flight on one event loop.`,
    },
    { what: 'GET /api/ with a Bearer token / bare GET, server CPU per request', goal: '≤ 2.5', value: cpuRatio.toFixed(2), met: cpuRatio <= 2.5, why: `${costs('api')}; ${costs('bareGet')}.` },
    atLeast('rotating client on Redis / node-oidc-provider with rotation, req/s', 'redisRotating', 'peerRotating', 1.5),
    atLeast('embedded store / Redis, refresh grant req/s', 'embedded', 'redis', 0.8),
  ];
}
