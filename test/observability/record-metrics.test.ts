/** `hass_auth_records{machine, state}` in GET /metrics (observability/record-metrics.ts), on both stores. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { machines } from '../../machines/index.js';
import { COUNT_CACHE_MS } from '../../src/services/inspection/record-counts.js';
import { StoreUnavailableError } from '../../src/stores/types.js';
import { startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { scrape, valueOf } from './scrape.js';
import { onboardOwner, postForm } from '../support/http-client.js';

const RECORDS = 'hass_auth_records';

describe.each<StoreKind>(['sqlite', 'redis'])('hass_auth_records (%s)', (kind) => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer(kind);
  });
  afterEach(async () => {
    await server.close();
  });

  it('reports every state of every machine, and follows the records', async () => {
    const series = (await scrape(server)).filter((sample) => sample.name === RECORDS);
    const expected = Object.entries(machines).flatMap(([machine, { machine: definition }]) =>
      Object.keys(definition.root.states).map((state) => ({ name: RECORDS, labels: { machine, state }, value: 0 })),
    );
    expect(series).toEqual(expected);

    const { refresh_token: refreshToken } = await onboardOwner(server);
    server.clock.now += COUNT_CACHE_MS;
    let samples = await scrape(server);
    expect(valueOf(samples, RECORDS, { machine: 'refreshToken', state: 'issued' })).toBe(1);
    expect(valueOf(samples, RECORDS, { machine: 'loginGrant', state: 'redeemed' })).toBe(1);

    await postForm(server, '/auth/revoke', { token: refreshToken });
    // Within the cache period the numbers stay; after it they follow.
    expect(valueOf(await scrape(server), RECORDS, { machine: 'refreshToken', state: 'revoked' })).toBe(0);
    server.clock.now += COUNT_CACHE_MS;
    samples = await scrape(server);
    expect(valueOf(samples, RECORDS, { machine: 'refreshToken', state: 'revoked' })).toBe(1);
    expect(valueOf(samples, RECORDS, { machine: 'refreshToken', state: 'issued' })).toBe(0);
    // Three counts for four scrapes: one was cached. (A scrape shows the counts' own timing on the next one.)
    expect(valueOf(await scrape(server), 'hass_auth_store_seconds_count', { operation: 'countByState' })).toBe(3);
  });

  it('leaves the series out while the store cannot count, and still answers', async () => {
    vi.spyOn(server.store, 'countByState').mockRejectedValue(new StoreUnavailableError('Redis is down'));
    expect((await scrape(server)).filter((sample) => sample.name === RECORDS)).toEqual([]);
    // A failed count is not cached: the next scrape tries again (and shows the first failure).
    const samples = await scrape(server);
    expect(samples.filter((sample) => sample.name === RECORDS)).toEqual([]);
    expect(valueOf(samples, 'hass_auth_store_errors_total', { operation: 'countByState' })).toBe(1);
  });
});
