/** Failures that are not the client's: a store that cannot be reached is a 503, anything else a 500 without details. */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { StoreUnavailableError, type Store } from '../../src/stores/types.js';

describe('error handling on a real route', () => {
  const stores: Store[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  /** `GET /api/onboarding` reads one thing, whether onboarding is done: that read fails. */
  async function appWhoseOnboardingReadFails(error: Error) {
    const store = openSqliteStore({ dataDir: ':memory:' });
    stores.push(store);
    const users = { ...store.users, isOnboarded: () => Promise.reject(error) };
    return buildApp({ store: { ...store, kind: store.kind, users }, clock: Date.now });
  }

  it('answers 503 with a JSON body while the store is unreachable', async () => {
    const app = await appWhoseOnboardingReadFails(new StoreUnavailableError('Redis is unavailable (users.isOnboarded): not connected'));
    const response = await app.inject({ method: 'GET', url: '/api/onboarding' });
    expect([response.statusCode, response.json()]).toEqual([503, { message: 'Service unavailable: the store cannot be reached' }]);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    await app.close();
  });

  it('answers 500 with no stack trace and no message of the failure for anything unexpected', async () => {
    const app = await appWhoseOnboardingReadFails(new Error('secret internal detail'));
    const response = await app.inject({ method: 'GET', url: '/api/onboarding' });
    expect([response.statusCode, response.json()]).toEqual([500, { message: 'Internal Server Error' }]);
    expect(response.body).not.toContain('secret internal detail');
    await app.close();
  });
});
