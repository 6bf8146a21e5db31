/**
 * One measured load: autocannon in this process against a server process, with the server's CPU time
 * read from /proc before and after (process-stats.ts), so a scenario reports what each request cost
 * the server and not only how fast the pair of processes went. A warm-up run (JIT, connection pools,
 * Redis' script cache) comes first and is not counted.
 */
import autocannon from 'autocannon';
import { cpuMicros } from './process-stats.js';

export interface Measured {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system, every process in `pids`) per request, µs. */
  cpuUsPerRequest: number;
  requests: number;
  /** Answers that were not 2xx, and connection errors: a scenario with any is reported as broken. */
  failures: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
}

export interface LoadSettings {
  /** Seconds measured (BENCH_DURATION). */
  durationS: number;
  /** Seconds of warm-up before (BENCH_WARMUP). */
  warmupS: number;
  connections: number;
}

export const loadSettings: LoadSettings = {
  durationS: Number(process.env.BENCH_DURATION ?? 10),
  warmupS: Number(process.env.BENCH_WARMUP ?? 2),
  connections: 50,
};

export type Target = Omit<autocannon.Options, 'duration' | 'connections' | 'amount'>;

export function summarize(result: autocannon.Result, cpuUs: number): Measured {
  const requests = result.requests.total;
  return {
    requestsPerSecond: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuUsPerRequest: requests === 0 ? Number.NaN : cpuUs / requests,
    requests,
    failures: result.non2xx + result.errors,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0])),
  };
}

const totalCpu = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);

/**
 * Runs `target` for the warm-up, then for the measured duration; `pids` are the server's processes.
 * `measuring` runs between the two (to read other counters around the measured part only).
 * `warmupRequests`: the requests the warm-up made, for counters read before it.
 */
export async function measureLoad(
  pids: number[],
  target: Target,
  settings = loadSettings,
  measuring?: () => Promise<void>,
): Promise<Measured & { warmupRequests: number }> {
  const { connections } = settings;
  const warmup = settings.warmupS > 0 ? await autocannon({ ...target, connections, duration: settings.warmupS }) : null;
  await measuring?.();
  const before = totalCpu(pids);
  const result = await autocannon({ ...target, connections, duration: settings.durationS });
  return { ...summarize(result, totalCpu(pids) - before), warmupRequests: warmup?.requests.total ?? 0 };
}

/** Runs a measured load while `background` runs another (a flood); CPU is the pair's, so it is not per request. */
export async function measureDuring(target: Target, background: Target, settings = loadSettings): Promise<{ measured: Measured; background: Measured }> {
  const { connections } = settings;
  const flood = autocannon({ ...background, connections, duration: settings.warmupS + settings.durationS });
  if (settings.warmupS > 0) await autocannon({ ...target, connections, duration: settings.warmupS });
  const result = await autocannon({ ...target, connections, duration: settings.durationS });
  return { measured: summarize(result, Number.NaN), background: summarize(await flood, Number.NaN) };
}

/** One request, varied on every request by `vary(n)` for the nth (a pool of tokens, codes, flows). */
export function rotating(url: string, request: autocannon.Request, vary: (n: number) => autocannon.Request): Target {
  let next = 0;
  const setupRequest = (base: autocannon.Request) => {
    const varied = { ...base, ...vary(next) };
    next += 1;
    return varied;
  };
  return { url, requests: [{ ...request, setupRequest }] };
}

/** `GET /api/` with the next of `accessTokens` as its Bearer token on every request (round robin). */
export const bearerGets = (url: string, accessTokens: string[]): Target =>
  rotating(url, { method: 'GET', path: '/api/' }, (n) => ({ headers: { authorization: `Bearer ${accessTokens[n % accessTokens.length] as string}` } }));

/** A form POST whose body is the next of `bodies` on every request (round robin). */
export function rotatingForm(url: string, path: string, bodies: string[]): Target {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  return rotating(url, { method: 'POST', path, headers }, (n) => ({ body: bodies[n % bodies.length] }));
}

/**
 * The refresh grant with each token in use by one request at a time: with one request in flight per
 * connection, as many tokens as connections is one token per connection, whichever connection
 * carries it. An answer's `refresh_token`, when it has one (rotation: RFC 9700 §4.14.2), replaces the
 * token it answered, so the next request presents the newest; a token without an answer yet stays
 * out of the pool. `rotating` cannot do this: it varies requests by their number, blind to answers.
 */
export interface TokenPool {
  target: Target;
  /**
   * Starts over with `tokens`, before an autocannon run: the requests in flight when the last run
   * stopped never got their answer, so with rotation their tokens are spent and never come back.
   */
  refill(tokens: string[]): void;
}

export function tokenPool(url: string, path: string, body: (token: string) => string): TokenPool {
  let free: string[] = [];
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  // autocannon's context lives from a request's setupRequest to its onResponse (one request per connection at a time).
  type Context = { token?: string };
  const request: autocannon.Request = {
    method: 'POST',
    path,
    headers,
    setupRequest: (request: autocannon.Request, context: Context) => {
      const token = free.pop();
      if (token === undefined) throw new Error('every token of the pool is in flight: more connections than tokens');
      context.token = token;
      return { ...request, body: body(token) };
    },
    onResponse: (status: number, answer: string, context: Context) => {
      const sent = context.token as string;
      free.push(status === 200 ? ((JSON.parse(answer) as { refresh_token?: string }).refresh_token ?? sent) : sent);
    },
  };
  return { target: { url, requests: [request] }, refill: (tokens) => (free = [...tokens]) };
}

