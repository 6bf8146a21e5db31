/**
 * The concurrency proof (ARCHITECTURE.md, "Every write is a compare-and-set"): however many
 * redemptions of one code race through however many instances, exactly one wins. Every other one
 * sees the code already redeemed, so the grant ends `revoked` and names the winner's refresh token
 * for revocation (RFC 6749 §4.1.2).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actorHandle } from '../../../src/runtime/actor-handle.js';
import { loadRecord } from '../../../src/runtime/records.js';
import { openRedisStore } from '../../../src/stores/redis/redis-store.js';
import type { Store } from '../../../src/stores/types.js';
import { silentLogger } from '../../support/logger.js';
import { deleteKeysUnder, REDIS_URL, testSealer, uniquePrefix } from '../../stores/redis-harness.js';

const clientId = 'https://app.example/';
const grantInput = {
  codeId: 'code-id',
  clientId,
  credential: { id: 'cred', authProviderType: 'homeassistant', authProviderId: null, data: { username: 'alice' }, lookupKey: 'alice' },
  issuedAt: 0,
  codeChallenge: null,
};

describe('redeeming one code 50 times at once', () => {
  let prefix: string;
  let instances: Store[];

  beforeEach(async () => {
    prefix = uniquePrefix();
    instances = await Promise.all([1, 2].map(() => openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() })));
  });
  afterEach(async () => {
    await Promise.all(instances.map((store) => store.close()));
    await deleteKeysUnder(prefix);
  });

  async function finalGrant(id: string) {
    const grant = await loadRecord(instances[0]!.grants, 'loginGrant', id, silentLogger());
    return { value: grant?.snapshot.value, refreshTokenId: grant?.snapshot.context.refreshTokenId };
  }

  it('through two Redis connections: exactly one wins, every time', async () => {
    for (let round = 0; round < 5; round += 1) {
      const id = `grant-${round}`;
      await actorHandle('loginGrant', instances[0]!.grants, { logger: silentLogger() }).create(id, grantInput, 0, (envelope, audit) => instances[0]!.grants.create(id, envelope, 600_000, audit));
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          actorHandle('loginGrant', instances[i % 2]!.grants, { logger: silentLogger(), maxAttempts: 200 }).transition(id, { type: 'REDEEM', now: 1_000, clientId, refreshTokenId: `rt-${i}`, proof: null }),
        ),
      );
      const winners = outcomes.flatMap((o, i) => (o?.before.matches('issued') && o.after.matches('redeemed') ? [i] : []));
      expect(winners).toHaveLength(1);
      const compromised = outcomes.flatMap((o) => o?.emitted ?? []);
      expect(compromised).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: `rt-${winners[0]}` }]);
      expect(await finalGrant(id)).toEqual({ value: 'revoked', refreshTokenId: `rt-${winners[0]}` });
    }
  });

  it('through two separate processes: exactly one wins', async () => {
    const id = 'grant-processes';
    await actorHandle('loginGrant', instances[0]!.grants, { logger: silentLogger() }).create(id, grantInput, 0, (envelope, audit) => instances[0]!.grants.create(id, envelope, 600_000, audit));
    const worker = fileURLToPath(new URL('./fixtures/redeem-worker.ts', import.meta.url));
    const children = ['a', 'b'].map((name) =>
      spawn(process.execPath, ['--import', 'tsx', worker], {
        env: { ...process.env, REDIS_URL, KEY_PREFIX: prefix, GRANT_ID: id, CLIENT_ID: clientId, COUNT: '25', WORKER: name, NOW: '1000' },
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const outputs = children.map((child) => createInterface({ input: child.stdout })[Symbol.asyncIterator]());
    // Both processes are connected before either starts, so their redemptions really overlap.
    for (const lines of outputs) expect((await lines.next()).value).toBe('ready');
    for (const child of children) child.stdin.write('go\n');
    const results = await Promise.all(outputs.map(async (lines) => JSON.parse(String((await lines.next()).value)) as { wins: number }));
    const exits = children.filter((child) => child.exitCode === null).map((child) => once(child, 'exit'));
    await Promise.all(exits);
    expect(results[0]!.wins + results[1]!.wins).toBe(1);
    expect((await finalGrant(id)).value).toBe('revoked');
  });

  it('redeemed on one instance is a replay on the other', async () => {
    const id = 'grant-replay';
    await actorHandle('loginGrant', instances[0]!.grants, { logger: silentLogger() }).create(id, grantInput, 0, (envelope, audit) => instances[0]!.grants.create(id, envelope, 600_000, audit));
    const redeem = (refreshTokenId: string) => ({ type: 'REDEEM' as const, now: 1_000, clientId, refreshTokenId, proof: null });
    const first = await actorHandle('loginGrant', instances[0]!.grants, { logger: silentLogger() }).transition(id, redeem('rt-a'));
    const replay = await actorHandle('loginGrant', instances[1]!.grants, { logger: silentLogger() }).transition(id, redeem('rt-b'));
    expect(first?.after.value).toBe('redeemed');
    expect(replay?.after.value).toBe('revoked');
    expect(replay?.emitted).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: 'rt-a' }]);
  });
});
