/** What `npm run test:unit` leaves out, on files of this suite whose needs are known. */
import { describe, expect, it } from 'vitest';
import { outsideNeeds, type OutsideNeed } from './file-needs.js';

const root = new URL('../..', import.meta.url).pathname;

describe('outsideNeeds', () => {
  it.each<[string, OutsideNeed[]]>([
    ['test/domain/errors.test.ts', []],
    // A test server over SQLite in memory, in the test's own process.
    ['test/http/link-user.test.ts', []],
    ['test/stores/sqlite.test.ts', []],
    // BOTH_STORES, reached through test/support/stores.ts.
    ['test/services/users/user-admin.test.ts', ['redis', 'processes']],
    // Test servers of both kinds, named in the test.
    ['test/http/token.test.ts', ['redis']],
    ['test/http/login-page.test.ts', ['chromium']],
    ['test/cluster/through-balancer.test.ts', ['haproxy', 'processes', 'redis']],
    ['test/cluster/through-compose-nginx.test.ts', ['haproxy', 'nginx', 'processes', 'redis']],
    ['test/cli/sqlite.test.ts', ['processes']],
    ['test/cli/redis.test.ts', ['processes', 'redis']],
    ['test/stores/sqlite-lock.test.ts', ['processes']],
  ])('%s needs %j', (file, needs) => {
    expect([...outsideNeeds(root, file)].sort()).toEqual([...needs].sort());
  });
});
