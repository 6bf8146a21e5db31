/**
 * `npm run test:unit`: the test files that need nothing outside their own process — no Redis, no
 * haproxy or nginx, no chromium, no processes of the service or the CLI — chosen by what they import
 * (test/support/file-needs.ts). `npm test` runs them too, with all the others.
 *
 * The base's settings, with its `include` replaced (mergeConfig would add the two lists together),
 * run in worker threads, one per core: none of these files starts a process, and a thread costs
 * less to start than the base's forked process (about 15% less CPU for this set).
 */
import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';
import { outsideNeeds } from './test/support/file-needs.js';

const root = import.meta.dirname;
const testFiles = readdirSync(`${root}/test`, { recursive: true, encoding: 'utf8' })
  .filter((path) => path.endsWith('.test.ts'))
  .map((path) => `test/${path}`);

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: testFiles.filter((file) => outsideNeeds(root, file).size === 0),
    pool: 'threads',
    maxWorkers: '100%',
  },
});
