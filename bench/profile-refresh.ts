/**
 * Where a refresh grant's CPU goes: a V8 CPU profile of this process while it runs refresh grants
 * through the real app (`app.inject`, so Node's HTTP parser and the socket are left out: the bare
 * route pays those too) over Redis (REDIS_URL, under a prefix of its own, deleted afterwards) or the
 * embedded store, then the self time summed by where the code lives (this service's folders, each
 * dependency, Node's internals, the garbage collector) and the functions that take the most.
 *
 * `CONCURRENCY` grants run at once, each on a token of its own, as the bench's connections do.
 *
 *   npx tsx bench/profile-refresh.ts [redis|sqlite] [grants]
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

async function openStore(kind: string): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const sealer = createSealer([randomBytes(32)], 'bench');
  if (kind === 'sqlite') {
    const store = openSqliteStore({ dataDir: ':memory:', sealer });
    return { store, cleanup: () => store.close() };
  }
  const prefix = uniquePrefix();
  const store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeysUnder(prefix);
    },
  };
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? 'redis';
  const grants = Number(process.argv[3] ?? 20_000);
  const { store, cleanup } = await openStore(kind);
  const { app, refresh } = await refreshingApp(store, CONCURRENCY);
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

  const byArea = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const parents = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  /** Node's internals and natives are charged to the nearest frame above them that is not one. */
  const callerOf = (node: ProfileNode): string => {
    for (let at: ProfileNode | undefined = node; at !== undefined; at = parents.get(at.id)) {
      const area = areaOf(at.callFrame.url, at.callFrame.functionName);
      if (area !== 'node internals' && area !== '(native)') return area;
    }
    return 'node internals';
  };
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    total += hits;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + hits);
    const caller = callerOf(node);
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + hits);
    const place = node.callFrame.url === '' ? '' : ` ${node.callFrame.url.replace(/^.*?(node_modules\/|src\/|machines\/)/, '$1')}:${node.callFrame.lineNumber + 1}`;
    const name = `${node.callFrame.functionName || '(anonymous)'}${place}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
  }
  const perGrantUs = (used.user + used.system) / grants;
  const share = (hits: number) => `${((100 * hits) / total).toFixed(1)} %`;
  const micros = (hits: number) => `${((perGrantUs * hits) / total).toFixed(1)} µs`;
  console.log(`${kind}: ${grants} refresh grants, ${CONCURRENCY} at once, ${perGrantUs.toFixed(0)} µs of this process's CPU each (the store's own CPU not included)`);
  console.log('\nself time by where the code lives:');
  for (const [area, hits] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${area.padEnd(28)} ${share(hits).padStart(7)}  ${micros(hits).padStart(9)}`);
  console.log("\nthe same, Node's internals and natives charged to the code that called them:");
  for (const [area, hits] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${area.padEnd(28)} ${share(hits).padStart(7)}  ${micros(hits).padStart(9)}`);
  console.log('\nfunctions with the most self time:');
  for (const [name, hits] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${share(hits).padStart(7)}  ${name}`);
  await app.close();
  await cleanup();
}

await main();
