/**
 * The store contract suite (src/stores/types.ts): one set of behaviours every adapter must show,
 * run by test/stores/sqlite.test.ts and by the Redis adapter's tests.
 *
 * Adapter-neutral by construction:
 * - time moves only through `clock.advance`, by at most 100 ms at a time, and TTL assertions poll
 *   (`vi.waitFor`) because Redis expires keys on its own clock (its harness advances by waiting);
 * - every id, username and lookup key is fresh (randomUUID), so a shared Redis sees no collisions
 *   and list assertions check only the records the test wrote.
 *
 * What a harness owes the suite: `open()` gives a connected store for one test, whose user space
 * has no owner yet (the "one owner" rule is global); `cleanup()` closes it and removes what it made.
 */
import { afterEach, beforeEach, describe } from 'vitest';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import type { ContractContext } from './contract/context.js';
import { describeActorRecordTtl } from './contract/actor-record-ttl.js';
import { describeAudit } from './contract/audit.js';
import { describeContents } from './contract/contents.js';
import { describeCredentials } from './contract/credentials.js';
import { describeEnvelopeRecords, envelopeKinds } from './contract/envelope-records.js';
import { describeFlowLimits } from './contract/flows.js';
import { describeGrants } from './contract/grants.js';
import { describeLoginAttempts } from './contract/login-attempts.js';
import { describeMfa } from './contract/mfa.js';
import { describeOnboarding } from './contract/onboarding.js';
import { describePasswords } from './contract/passwords.js';
import { describeRecordCounts } from './contract/record-counts.js';
import { describeRecordedUses, describeRefreshTokenIndexes } from './contract/refresh-tokens.js';
import { describeRevocationBus } from './contract/revocations.js';
import { describeSecrets } from './contract/secrets.js';
import { describeTransitions } from './contract/transitions.js';
import { describeUsers } from './contract/users.js';

/** The store's notion of now. SQLite: a fake clock. Redis: TTLs run on the server, so `advance` waits. */
export interface TestClock {
  now(): number;
  advance(ms: number): Promise<void>;
}

export interface OpenedStore {
  store: ReadableStore;
  clock: TestClock;
  cleanup(): Promise<void>;
}

export interface StoreHarness {
  open(): Promise<OpenedStore>;
}

export function describeStoreContract(name: string, harness: StoreHarness): void {
  describe(name, () => {
    const context = openStorePerTest(harness);

    for (const kind of envelopeKinds) describeEnvelopeRecords(kind, context);
    describeActorRecordTtl('grants', (store) => store.grants, 'loginGrant', context);
    describeActorRecordTtl('flows', (store) => store.flows, 'loginFlow', context);
    describeActorRecordTtl('MFA setup flows', (store) => store.mfaSetupFlows, 'mfaSetupFlow', context);
    describeFlowLimits(context);
    describeGrants(context);
    describeRefreshTokenIndexes(context);
    describeRecordedUses(context);
    describeUsers(context);
    describeOnboarding(context);
    describeCredentials(context);
    describeMfa(context);
    describePasswords(context);
    describeRevocationBus(context);
    describeSecrets(context);
    describeLoginAttempts(context);
    describeAudit(context);
    describeRecordCounts(context);
    describeTransitions(context);
    describeContents(context);
  });
}

/** A fresh store for every test, closed after it, even when the test failed. Service tests use it too. */
export function openStorePerTest(harness: StoreHarness): ContractContext {
  let opened: OpenedStore | undefined;
  beforeEach(async () => {
    opened = await harness.open();
  });
  afterEach(async () => {
    const current = opened;
    opened = undefined;
    await current?.cleanup();
  });
  const current = (): OpenedStore => {
    if (opened === undefined) throw new Error('the store is used outside a test');
    return opened;
  };
  return {
    get store() {
      return current().store;
    },
    get clock() {
      return current().clock;
    },
  };
}
