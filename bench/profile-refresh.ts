/**
 * Where a refresh grant's CPU goes, or a rotating client's: a V8 CPU profile of this process while
 * it runs refresh grants through the real app (`app.inject`, so Node's HTTP parser and the socket
 * are left out: the bare route pays those too) over Redis (REDIS_URL, under a prefix of its own,
 * deleted afterwards) or the embedded store, then the self time summed by where the code lives
 * (this service's folders, each dependency, Node's internals, the garbage collector) and the
 * functions that take the most.
 *
 * `CONCURRENCY` grants run at once, each on a token of its own, as the bench's connections do.
 *
 *   npx tsx bench/profile-refresh.ts [redis|sqlite] [grants] [rotating]
 *
 * `npm run bench` runs it on the bench's Redis after the side-by-side with node-oidc-provider, for
 * the frontend's tokens and for a rotating client's, and writes both summaries into that section
 * of bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { openRedisStore } from '../src/stores/redis/redis-store.js';
import { createSealer } from '../src/stores/sealing/sealer.js';
import { openSqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../src/stores/types.js';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../test/stores/redis-harness.js';
import { refreshingApp } from './refreshing-app.js';

const CONCURRENCY = 50;
const WARM_UP = 2_000;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Where a script lives, as the summary groups it. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const dependency = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency !== null) return dependency[1] as string;
  const own = /\/(src\/[^/]+|machines)\//.exec(url);
  if (own !== null) return own[1] as string;
  const file = /\/(src\/[^/]+\.ts)$/.exec(url);
  return file !== null ? (file[1] as string) : 'other';
}

async function openStore(kind: 'redis' | 'sqlite', redisUrl: string): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const sealer = createSealer([randomBytes(32)], 'bench');
  if (kind === 'sqlite') {
    const store = openSqliteStore({ dataDir: ':memory:', sealer });
    return { store, cleanup: () => store.close() };
  }
  const prefix = uniquePrefix();
  const store = await openRedisStore({ url: redisUrl, keyPrefix: prefix, sealer });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeysUnder(prefix, redisUrl);
    },
  };
}

export interface RefreshProfile {
  store: 'redis' | 'sqlite';
  /** Grants of a client whose tokens rotate (each grant redeems its token for a successor). */
  rotating: boolean;
  grants: number;
  concurrency: number;
  /** This process's CPU per grant while profiled (the profiler's own cost included). */
  cpuUsPerGrant: number;
  /** [where, share of the samples], largest first. */
  byArea: Array<[string, number]>;
  /** The same with Node's internals and natives charged to the code that called them. */
  byCaller: Array<[string, number]>;
  /** [function and place, share], largest first. */
  functions: Array<[string, number]>;
}

/** Refresh grants under the profiler (see the header), on Redis at `redisUrl` or on SQLite in memory. */
export async function profileRefreshGrant(kind: 'redis' | 'sqlite', grants: number, { redisUrl = REDIS_URL, rotating = false } = {}): Promise<RefreshProfile> {
  const { store, cleanup } = await openStore(kind, redisUrl);
  const { app, refresh } = await refreshingApp(store, CONCURRENCY, { rotating });
  const run = async (count: number) => {
    let left = count;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, session) => {
        while (left > 0) {
          left -= 1;
          await refresh(session);
        }
      }),
    );
  };
  try {
    await run(WARM_UP);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const started = process.cpuUsage();
    await run(grants);
    const used = process.cpuUsage(started);
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[] } };
    session.disconnect();
    return { store: kind, rotating, grants, concurrency: CONCURRENCY, cpuUsPerGrant: (used.user + used.system) / grants, ...summarize(profile.nodes) };
  } finally {
    await app.close();
    await cleanup();
  }
}

function summarize(nodes: ProfileNode[]): Pick<RefreshProfile, 'byArea' | 'byCaller' | 'functions'> {
  const byArea = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const parents = new Map<number, ProfileNode>();
  for (const node of nodes) for (const child of node.children ?? []) parents.set(child, node);
  /** Node's internals and natives are charged to the nearest frame above them that is not one. */
  const callerOf = (node: ProfileNode): string => {
    for (let at: ProfileNode | undefined = node; at !== undefined; at = parents.get(at.id)) {
      const area = areaOf(at.callFrame.url, at.callFrame.functionName);
      if (area !== 'node internals' && area !== '(native)') return area;
    }
    return 'node internals';
  };
  const add = (map: Map<string, number>, key: string, hits: number) => map.set(key, (map.get(key) ?? 0) + hits);
  let total = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    total += hits;
    add(byArea, areaOf(node.callFrame.url, node.callFrame.functionName), hits);
    add(byCaller, callerOf(node), hits);
    const place = node.callFrame.url === '' ? '' : ` ${node.callFrame.url.replace(/^.*?(node_modules\/|src\/|machines\/)/, '$1')}:${node.callFrame.lineNumber + 1}`;
    add(byFunction, `${node.callFrame.functionName || '(anonymous)'}${place}`, hits);
  }
  const ranked = (map: Map<string, number>, count: number): Array<[string, number]> =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([key, hits]) => [key, hits / total]);
  return { byArea: ranked(byArea, 15), byCaller: ranked(byCaller, 15), functions: ranked(byFunction, 15) };
}

/** The profile as a Markdown subsection of bench/RESULTS.md. */
export function renderProfile(profile: RefreshProfile): string[] {
  const us = (share: number) => (profile.cpuUsPerGrant * share).toFixed(1);
  const table = (rows: Array<[string, number]>, what: string) => [
    `| ${what} | share | µs per grant |`,
    '|---|---:|---:|',
    ...rows.map(([key, share]) => `| ${key.replaceAll('|', '\\|')} | ${(100 * share).toFixed(1)} % | ${us(share)} |`),
    '',
  ];
  return [
    profile.rotating ? '### Where a rotating client\'s refresh grant\'s CPU goes' : '### Where the refresh grant\'s CPU goes',
    '',
    `A V8 CPU profile (bench/profile-refresh.ts) of ${profile.grants} refresh grants${profile.rotating ? ' of a client whose tokens rotate (each redeems its token for a successor)' : ''} on ${profile.store === 'redis' ? "the bench's Redis" : 'SQLite in memory'}, ` +
      `${profile.concurrency} at once, through \`app.inject\` in the bench's process: ${profile.cpuUsPerGrant.toFixed(0)} µs of CPU per grant under the profiler. ` +
      "`light-my-request` is inject's stand-in for Node's HTTP server and socket, which a real request pays instead; the store's own CPU is not in it. " +
      'Self time, by where the code lives, then with Node\'s internals and natives charged to the code that called them:',
    '',
    ...table(profile.byArea, 'where'),
    ...table(profile.byCaller, 'called from'),
    'The functions with the most self time:',
    '',
    ...table(profile.functions, 'function'),
  ];
}

async function main(): Promise<void> {
  const kind = process.argv[2] === 'sqlite' ? 'sqlite' : 'redis';
  const profile = await profileRefreshGrant(kind, Number(process.argv[3] ?? 20_000), { rotating: process.argv[4] === 'rotating' });
  console.log(renderProfile(profile).join('\n'));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await main();
