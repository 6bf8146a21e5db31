/**
 * The store contract suite (test/stores/contract.ts) on the Redis adapter, against the shared Redis
 * (REDIS_URL, default 127.0.0.1:6379). Every test opens a store under a fresh key prefix and
 * deletes that prefix's keys afterwards; TTLs run on Redis' clock, so the harness advances by waiting.
 */
import { describeStoreContract } from './contract.js';
import { redisHarness } from './redis-harness.js';

describeStoreContract('redis store', redisHarness);
