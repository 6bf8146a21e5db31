/**
 * Both adapters, for service tests that must hold on each: SQLite in memory (a fake clock), and the
 * shared Redis under a key prefix of its own, deleted after each test. Use with `openStorePerTest`.
 */
import type { StoreHarness } from '../stores/contract.js';
import { redisHarness } from '../stores/redis-harness.js';
import { memoryHarness } from '../stores/sqlite-harness.js';

export const BOTH_STORES: ReadonlyArray<readonly ['sqlite' | 'redis', StoreHarness]> = [
  ['sqlite', memoryHarness],
  ['redis', redisHarness],
];
