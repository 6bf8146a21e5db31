import { describe, expect, it, vi } from 'vitest';
import { serverOnPrivateRedis } from '../support/private-redis.js';
import { startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { scrape, valueOf } from './scrape.js';

const ready = (server: TestServer) => fetch(`${server.baseUrl}/ready`);

describe.each<StoreKind>(['sqlite', 'redis'])('GET /ready (%s)', (kind) => {
  it('answers 200 while the store answers', async () => {
    const server = await startTestServer(kind);
    try {
      const response = await ready(server);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ready' });
    } finally {
      await server.close();
    }
  });
});

describe('GET /ready while Redis is unreachable', () => {
  const privateRedis = serverOnPrivateRedis();

  it('answers 503 at once, counts the failed pings, and 200 again once Redis is back', async () => {
    const { server } = privateRedis;
    expect((await ready(server)).status).toBe(200);
    await privateRedis.stopRedis();

    const started = performance.now();
    const down = await ready(server);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', message: 'the store cannot be reached' });
    // /metrics needs no store, and says why the instance is not ready.
    const samples = await scrape(server);
    expect(valueOf(samples, 'hass_auth_store_errors_total', { operation: 'ping' })).toBeGreaterThanOrEqual(1);

    await privateRedis.startRedis();
    await vi.waitFor(async () => expect((await ready(server)).status).toBe(200), { timeout: 10_000, interval: 100 });
  });
});
