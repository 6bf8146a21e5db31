/**
 * What a test file needs outside its own process, read from its source and from the test helpers
 * it imports (vitest.unit.config.ts runs the files that need none of it: `npm run test:unit`):
 *
 * - redis: the shared Redis (the Redis harness, BOTH_STORES, a test server or store of kind
 *   'redis', the `redis` client) or redis-server processes of its own;
 * - chromium: the pages driven in a browser (support/browser.ts);
 * - haproxy, nginx: the cluster tests' balancer and proxy;
 * - processes: the service or the CLI in processes of their own, each a few seconds to start.
 *
 * The test server (support/test-server.ts) and the CLI's harness (cli/cli-process.ts) open either
 * store, so they say nothing by themselves: the kind a test asks them for does.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export type OutsideNeed = 'redis' | 'chromium' | 'haproxy' | 'nginx' | 'processes';

const SIGNS: ReadonlyArray<readonly [OutsideNeed, RegExp]> = [
  ['redis', /from '(redis|[^']*\/(redis-harness|private-redis|sentinel-topology)\.js)'|'sqlite',\s*'redis'|'redis',\s*'sqlite'|startTestServer\('redis'/],
  ['chromium', /from '[^']*\/browser\.js'/],
  ['haproxy', /from '[^']*\/balancer\.js'/],
  ['nginx', /from '[^']*\/(nginx|compose-on-loopback)\.js'/],
  ['processes', /from '(node:child_process|[^']*\/(child-process|service-process|cli-process|instances)\.js)'/],
];

const NEUTRAL = new Set(['test/support/test-server.ts', 'test/cli/cli-process.ts']);

/** The test helpers a source imports: relative `.js` imports that resolve to `.ts` files under test/. */
function helpersOf(root: string, file: string, source: string): string[] {
  const imports = [...source.matchAll(/from '(\.[^']+)\.js'/g)].map((match) => match[1] ?? '');
  return imports
    .map((path) => relative(root, resolve(root, dirname(file), `${path}.ts`)))
    .filter((path) => path.startsWith('test/') && !NEUTRAL.has(path));
}

/** The needs of `file` (relative to `root`) and of every test helper it reaches. */
export function outsideNeeds(root: string, file: string): Set<OutsideNeed> {
  const needs = new Set<OutsideNeed>();
  const seen = new Set<string>();
  const pending = [file];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    const source = readFileSync(join(root, next), 'utf8');
    for (const [need, sign] of SIGNS) if (sign.test(source)) needs.add(need);
    pending.push(...helpersOf(root, next, source));
  }
  return needs;
}
