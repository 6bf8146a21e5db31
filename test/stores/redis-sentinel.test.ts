/**
 * The Redis store through Sentinel (issue 14), on a topology of its own (test/support/sentinel-topology.ts):
 * it works on the master the sentinels name; when that master dies (kill -9) every operation fails
 * with StoreUnavailableError within a second, none is applied late, and once a replica is promoted
 * the same store serves again: data, the revocation bus and the ban watch included. With replica
 * acknowledgements required, a write is answered only once the replica holds it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { StoreUnavailableError, type BanWatcher, type Store } from '../../src/stores/types.js';
import { MASTER_NAME, replicaPorts, startSentinelTopology, type SentinelTopology } from '../support/sentinel-topology.js';
import { envelope, rawClient, testSealer } from './redis-harness.js';

const WAIT = { timeout: 20_000, interval: 50 };

let topology: SentinelTopology;
let store: Store;
const sentinelsOf = (topology: SentinelTopology) => topology.sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));

beforeAll(async () => {
  topology = await startSentinelTopology();
  store = await openRedisStore({ sentinel: { sentinels: sentinelsOf(topology), masterName: MASTER_NAME }, keyPrefix: 'p:', minReplicasAck: 1, sealer: testSealer() });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await topology?.close();
});

/** A ban watcher that records what it hears. */
function recordingWatcher() {
  const heard: string[] = [];
  const watcher: BanWatcher = {
    changed: (ip, banned) => heard.push(`${banned ? '+' : '-'}${ip}`),
    listening: () => heard.push('listening'),
    interrupted: () => heard.push('interrupted'),
  };
  return { heard, watcher };
}

describe('redis store through Sentinel', () => {
  it('opens on the master the sentinels name and writes only once the replica holds the write', async () => {
    expect(await store.grants.create('before', envelope(1), null)).toBe(true);
    // Acknowledged by a replica before the answer: one has it already, not "soon".
    const held = await Promise.all(
      (await replicaPorts(topology.sentinelPorts[0] as number)).map(async (port) => {
        const replica = await rawClient(`redis://127.0.0.1:${port}`);
        try {
          return await replica.hGet('p:grant:before', 'env');
        } finally {
          replica.destroy();
        }
      }),
    );
    expect(held.filter((env) => env !== null).length).toBeGreaterThanOrEqual(1);
  });

  it('fails fast while the master is dead, applies nothing late, and serves the promoted master without reopening', async () => {
    const revoked: string[] = [];
    let missed = 0;
    store.revocations.subscribe((id) => revoked.push(id));
    store.revocations.onMissedMessages(() => (missed += 1));
    const bans = recordingWatcher();
    store.loginAttempts.watchBans(bans.watcher);
    await vi.waitFor(() => expect(bans.heard).toEqual(['listening']), WAIT);
    await store.revocations.publish(['before']);
    await vi.waitFor(() => expect(revoked).toEqual(['before']), WAIT);

    const oldPort = await topology.killMaster();
    // Until the promotion: every attempt fails, each within a second. The master is dead before the
    // first is sent, so one found later was applied after its failure was answered: none may be.
    const attempts: Array<{ id: string; ms: number; error: unknown }> = [];
    let promoted = false;
    const promotion = topology.promoted(oldPort).then(() => (promoted = true));
    while (!promoted) {
      const id = `during-${attempts.length}`;
      const started = performance.now();
      const error = await store.grants.create(id, envelope(1), null).then(() => null, (reason: unknown) => reason);
      attempts.push({ id, ms: performance.now() - started, error });
    }
    await promotion;
    const failed = attempts.filter(({ error }) => error !== null);
    // Once a replica is promoted, writes are applied there and fail until another replica acknowledges
    // them (replica-acks.ts): those were applied, on purpose, and are not late.
    const unavailable = failed.filter(({ error }) => !/acknowledg/.test(String(error)));
    expect(failed.length).toBeGreaterThan(0);
    for (const { ms, error } of failed) {
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeLessThan(1_000);
    }

    // Serves again, on the promoted master, with the write acknowledged before the kill.
    await vi.waitFor(async () => expect(await store.grants.load('before')).toEqual(envelope(1)), WAIT);
    const appliedLate = [];
    for (const { id } of unavailable) if ((await store.grants.load(id)) !== null) appliedLate.push(id);
    expect(appliedLate).toEqual([]);

    // The subscriptions moved to the promoted master, said so, and hear new messages.
    await vi.waitFor(() => expect(missed).toBeGreaterThanOrEqual(1), WAIT);
    expect(bans.heard.slice(0, 3)).toEqual(['listening', 'interrupted', 'listening']);
    await store.revocations.publish(['after']);
    await vi.waitFor(() => expect(revoked).toEqual(['before', 'after']), WAIT);
    await store.loginAttempts.recordFailure('192.0.2.7', { threshold: 1, windowMs: 60_000, now: Date.now() });
    await vi.waitFor(() => expect(bans.heard).toContain('+192.0.2.7'), WAIT);
  }, 60_000);
});
