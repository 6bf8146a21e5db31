import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { instrumentStore } from '../../src/observability/instrument-store.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { StoreUnavailableError, type Store } from '../../src/stores/types.js';
import { parseSamples, valueOf } from './scrape.js';

// The transition channel passes through whole: its publish is never awaited (instrument-store.ts).
const UNTIMED = ['placement.near', 'revocations.subscribe', 'revocations.onMissedMessages', 'loginAttempts.watchBans', 'transitions.wanted', 'transitions.publish', 'transitions.watch', 'close'];

type Fake = ReturnType<typeof vi.fn<(...args: unknown[]) => unknown>>;

const split = (method: string) => (method.includes('.') ? method.split('.') : [null, method]) as [string | null, string];

/** Every method a real adapter has, as `family.method` (or `ping`): what the decorator must cover. */
function methodsOf(store: Store): string[] {
  const names: string[] = [];
  for (const [family, part] of Object.entries(store) as Array<[string, unknown]>) {
    if (typeof part === 'function') names.push(family);
    if (typeof part !== 'object' || part === null) continue;
    for (let proto: object | null = part; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name !== 'constructor' && typeof (part as Record<string, unknown>)[name] === 'function') names.push(`${family}.${name}`);
      }
    }
  }
  return [...new Set(names)].sort();
}

/** A store of that shape whose every method resolves to its own name, and its fakes by method. */
function fakeStore(methods: string[]): { inner: Store; fakes: Map<string, Fake> } {
  const store: Record<string, unknown> = { kind: 'sqlite' };
  const fakes = new Map<string, Fake>();
  for (const method of methods) {
    const [family, name] = split(method);
    const fake: Fake = vi.fn((..._args: unknown[]) => Promise.resolve(method) as unknown);
    fakes.set(method, fake);
    if (family === null) store[name] = fake;
    else store[family] = { ...(store[family] as object | undefined), [name]: fake };
  }
  return { inner: store as unknown as Store, fakes };
}

/** Calls `family.method` of the store as the services do, through its owner. */
function call(store: Store, method: string, ...args: unknown[]): unknown {
  const [family, name] = split(method);
  const owner = (family === null ? store : (store as unknown as Record<string, unknown>)[family]) as Record<string, (...a: unknown[]) => unknown>;
  return owner[name]?.(...args);
}

async function samples(metrics: Metrics) {
  return parseSamples(await metrics.registry.metrics());
}

describe('instrumentStore', () => {
  let real: Store;
  let methods: string[];
  beforeAll(() => {
    real = openSqliteStore({ dataDir: ':memory:', clock: () => 0 });
    // readContents sits beside the request path's contract (stores/store-contents.ts): not instrumented.
    methods = methodsOf(real).filter((method) => method !== 'readContents');
  });
  afterAll(async () => {
    await real.close();
  });

  it('times every method of the store, passing arguments and results through', async () => {
    const metrics = createMetrics();
    const { inner, fakes } = fakeStore(methods);
    const store = instrumentStore(inner, metrics);
    const timed = methods.filter((method) => !UNTIMED.includes(method));
    expect(timed).toContain('refreshTokens.findIdByTokenHash');
    for (const method of timed) {
      const args = method === 'ping' ? [] : ['an argument'];
      expect(await call(store, method, ...args), method).toBe(method);
      expect(fakes.get(method), method).toHaveBeenCalledWith(...args);
    }
    const scraped = await samples(metrics);
    const observed = scraped
      .filter((sample) => sample.name === 'hass_auth_store_seconds_count' && sample.value === 1)
      .map((sample) => sample.labels.operation)
      .sort();
    expect(observed).toEqual(timed);
    for (const method of UNTIMED) expect(valueOf(scraped, 'hass_auth_store_seconds_count', { operation: method })).toBe(0);
  });

  it('rethrows the very error, counts it, and still times the call', async () => {
    const metrics = createMetrics();
    const { inner, fakes } = fakeStore(methods);
    const down = new StoreUnavailableError('Redis is down');
    fakes.get('refreshTokens.load')?.mockRejectedValueOnce(down);
    const store = instrumentStore(inner, metrics);
    await expect(store.refreshTokens.load('id')).rejects.toBe(down);
    await expect(store.refreshTokens.load('id')).resolves.toBe('refreshTokens.load');
    const scraped = await samples(metrics);
    expect(valueOf(scraped, 'hass_auth_store_errors_total', { operation: 'refreshTokens.load' })).toBe(1);
    expect(valueOf(scraped, 'hass_auth_store_seconds_count', { operation: 'refreshTokens.load' })).toBe(2);
    expect(scraped).toContainEqual({ name: 'hass_auth_store_errors_total', labels: { operation: 'users.getUser' }, value: 0 });
  });

  it('counts a method that throws instead of rejecting, and rejects with that error', async () => {
    const metrics = createMetrics();
    const { inner, fakes } = fakeStore(methods);
    const bug = new RangeError('rev must be 1');
    fakes.get('grants.create')?.mockImplementationOnce(() => {
      throw bug;
    });
    await expect(call(instrumentStore(inner, metrics), 'grants.create', 'id')).rejects.toBe(bug);
    expect(valueOf(await samples(metrics), 'hass_auth_store_errors_total', { operation: 'grants.create' })).toBe(1);
  });

  it('passes the revocation listeners through, untimed', () => {
    const { inner, fakes } = fakeStore(methods);
    const unsubscribe = () => undefined;
    fakes.get('revocations.subscribe')?.mockReturnValue(unsubscribe);
    const listener = vi.fn();
    expect(instrumentStore(inner, createMetrics()).revocations.subscribe(listener)).toBe(unsubscribe);
    expect(fakes.get('revocations.subscribe')).toHaveBeenCalledWith(listener);
  });

  it('calls what the store holds at call time, so that spies placed later see the calls', async () => {
    const { inner } = fakeStore(methods);
    const store = instrumentStore(inner, createMetrics());
    const spy = vi.spyOn(inner.users, 'getUser').mockResolvedValue(null);
    expect(await store.users.getUser('u')).toBe(null);
    expect(spy).toHaveBeenCalledWith('u');
  });
});
