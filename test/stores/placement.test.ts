/**
 * Store.placement (src/stores/placement.ts): anywhere on one server and SQLite, in the anchor's
 * bucket on a cluster; and the successor secrets a rotation derives until one lands there
 * (src/domain/successor-secret.ts), the same every time for the grace window's retry.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId, newSecret, sha256Hex } from '../../src/domain/ids.js';
import { successorSecret } from '../../src/domain/successor-secret.js';
import { clusterBucketOf, CLUSTER_BUCKETS } from '../../src/stores/redis/keys.js';
import { anywhere, placementBy } from '../../src/stores/placement.js';

describe('Store.placement', () => {
  it('takes the first thing minted where any place will do', () => {
    const minted = ['a', 'b'];
    expect(anywhere.near('anchor', () => minted.shift() as string)).toBe('a');
  });

  it('mints again until the value, or what it names (a secret: its hash), lands in the anchor\'s bucket', () => {
    const placement = placementBy(clusterBucketOf);
    for (let attempt = 0; attempt < 50; attempt++) {
      const anchor = newId();
      expect(clusterBucketOf(placement.near(anchor, newId))).toBe(clusterBucketOf(anchor));
      expect(clusterBucketOf(sha256Hex(placement.near(anchor, newSecret, sha256Hex)))).toBe(clusterBucketOf(anchor));
    }
  });

  it('gives up, saying so, when nothing minted ever lands there', () => {
    const placement = placementBy((text) => (text === 'anchor' ? 1 : 0));
    expect(() => placement.near('anchor', newId)).toThrow(/after 1000 attempts/);
  });
});

describe('a successor secret placed with its predecessor', () => {
  const key = newSecret();
  const presented = newSecret();

  it('is, at the first attempt, the HMAC of the presented secret as before placement existed', () => {
    expect(successorSecret(key, presented)).toBe(createHmac('sha512', key).update(presented).digest('hex'));
    expect(successorSecret(key, presented, 0)).toBe(successorSecret(key, presented));
    expect(successorSecret(key, presented, 1)).not.toBe(successorSecret(key, presented));
  });

  it('is the same secret every time it is derived again for one anchor', () => {
    const placement = placementBy(clusterBucketOf);
    const derive = (anchor: string) => {
      let attempt = 0;
      return placement.near(anchor, () => successorSecret(key, presented, attempt++), sha256Hex);
    };
    const anchor = newId();
    expect(derive(anchor)).toBe(derive(anchor));
    expect(clusterBucketOf(sha256Hex(derive(anchor)))).toBe(clusterBucketOf(anchor));
  });
});

describe('a cluster\'s buckets', () => {
  it('spread addresses of one network over the buckets, which their first digit would not', () => {
    const addresses = Array.from({ length: 256 }, (_, host) => `192.168.1.${host}`);
    const used = new Set(addresses.map(clusterBucketOf));
    expect(used.size).toBe(CLUSTER_BUCKETS);
    expect(new Set(addresses.map((address) => Number.parseInt(address.charAt(0), 16))).size).toBe(1);
  });
});
