/**
 * What the ban check (src/http/ip-bans.ts: one store read per request, `loginAttempts.isBanned`)
 * costs: requests per second through `app.inject` with bans on (`ip_ban_enabled: true`, Home
 * Assistant's default) and off, over SQLite in memory and over Redis (REDIS_URL, under a prefix of its
 * own, deleted afterwards).
 *
 *   npx tsx bench/ip-ban-check.ts
 *
 * Two routes: the OAuth metadata document, which reads nothing else from the store (the worst ratio
 * there is), and a refresh grant (5 store round trips of its own: the hot path of real clients).
 * Last, the check alone: the service's lookup in its copy of the ban list against the store read it
 * replaces (what every request paid before the copy existed).
 * Each is run one request at a time (the latency a client sees) and 32 at a time (throughput: node-redis
 * pipelines concurrent commands). Rounds alternate between the two apps (each first every other
 * round) and the median is kept.
 * `inject` has no network in it, so a real request through a socket sees a smaller share.
 */
import { parseAuthConfig } from '../src/auth-config.js';
import { loginAttemptService } from '../src/services/bans/login-attempts.js';
import { buildApp } from '../src/app.js';
import type { Store } from '../src/stores/types.js';
import { onBothStores } from './on-both-stores.js';

const CLIENT_ID = 'http://127.0.0.1:8123/';
const ROUNDS = 7;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

type App = Awaited<ReturnType<typeof buildApp>>;

const CONCURRENCY = 32;

async function app(store: Store, ipBanEnabled: boolean): Promise<{ app: App; metadata: () => Promise<void>; refresh: () => Promise<void> }> {
  // A threshold, so that bans could happen; the check runs whatever it is, as long as bans are on.
  const authConfig = parseAuthConfig(`http: {ip_ban_enabled: ${ipBanEnabled}, login_attempts_threshold: 5}`, 'bench');
  const built = await buildApp({ store, clock: () => Date.now(), bcryptRounds: 4, authConfig });
  const onboarded = await built.inject({
    method: 'POST', url: '/api/onboarding/users',
    payload: { name: 'Bench', username: 'bench', password: 'bench-password', client_id: CLIENT_ID, language: 'en' },
  });
  const code = onboarded.json<{ auth_code: string }>().auth_code;
  const form = (fields: Record<string, string>) => ({
    method: 'POST' as const, url: '/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const expect200 = (response: { statusCode: number; body: string }) => {
    if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}: ${response.body}`);
  };
  const tokenOf = async (authCode: string) =>
    (await built.inject(form({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: authCode }))).json<{ refresh_token: string }>().refresh_token;
  /** A login flow to its code: one refresh token per concurrent client (one token refreshed 32 times at once would measure contention). */
  const loginCode = async () => {
    const started = await built.inject({
      method: 'POST', url: '/auth/login_flow',
      payload: { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: `${CLIENT_ID}?auth_callback=1` },
    });
    const step = await built.inject({
      method: 'POST', url: `/auth/login_flow/${started.json<{ flow_id: string }>().flow_id}`,
      payload: { client_id: CLIENT_ID, username: 'bench', password: 'bench-password' },
    });
    return step.json<{ result: string }>().result;
  };
  const refreshTokens = [await tokenOf(code)];
  while (refreshTokens.length < CONCURRENCY) refreshTokens.push(await tokenOf(await loginCode()));
  let next = 0;
  return {
    app: built,
    metadata: async () => expect200(await built.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })),
    refresh: async () => {
      const refreshToken = refreshTokens[next++ % CONCURRENCY] as string;
      expect200(await built.inject(form({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: refreshToken })));
    },
  };
}

/** `count` runs, `concurrency` at a time (1: one after the other, the latency view). */
async function perSecond(run: () => Promise<void>, count: number, concurrency = 1): Promise<number> {
  const started = performance.now();
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await run();
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function compare(label: string, open: () => Promise<Store>) {
  const [offStore, onStore] = [await open(), await open()];
  const off = await app(offStore, false);
  const on = await app(onStore, true);
  for (const [route, concurrency] of [['metadata', 1], ['metadata', CONCURRENCY], ['refresh', 1], ['refresh', CONCURRENCY]] as const) {
    const count = route === 'refresh' ? REQUESTS / 4 : REQUESTS;
    await perSecond(off[route], count / 4, concurrency);
    await perSecond(on[route], count / 4, concurrency);
    const rates = { off: [] as number[], on: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const which of order) rates[which].push(await perSecond((which === 'off' ? off : on)[route], count, concurrency));
    }
    const [a, b] = [median(rates.off), median(rates.on)];
    const added = concurrency === 1 ? `; ${((1 / b - 1 / a) * 1e6).toFixed(1)} µs added per request` : '';
    console.log(
      `${label} ${route} (${concurrency} at a time): requests/s, bans off ${a.toFixed(0)}, on ${b.toFixed(0)}; ratio ${(b / a).toFixed(3)}${added}`,
    );
  }
  // The check alone: the service's lookup (its copy of the ban list) against the store read it replaces.
  const attempts = loginAttemptService(onStore, () => Date.now(), { info: () => undefined, warn: () => undefined, error: () => undefined }, {
    ipBanEnabled: true, loginAttemptsThreshold: 5,
  });
  // The copy is read once the watch is in place: a few milliseconds.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const calls = REQUESTS * 5;
  const direct = { copy: [] as number[], store: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    direct.copy.push(await perSecond(() => attempts.isBanned('192.0.2.1').then(() => undefined), calls));
    direct.store.push(await perSecond(() => onStore.loginAttempts.isBanned('192.0.2.1').then(() => undefined), calls / 5));
  }
  const [copy, read] = [median(direct.copy), median(direct.store)];
  console.log(`${label} ban check alone: ${(1e6 / copy).toFixed(2)} µs from the copy, ${(1e6 / read).toFixed(2)} µs as a store read`);
  attempts.stop();

  await off.app.close();
  await on.app.close();
  await offStore.close();
  await onStore.close();
}

await onBothStores(compare);
