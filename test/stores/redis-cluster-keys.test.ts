/**
 * The cluster's key layout (src/stores/redis/keys.ts) without a cluster: every family of one record
 * lands in its bucket's slot, the directory in its own, one server's names carry no tag, and the
 * buckets' tags split the 16384 slots as evenly as masters with even ranges need. Slots are Redis
 * Cluster's (cluster-slot.ts); the store contract on a real cluster (redis-cluster-store.test.ts)
 * checks the layout against Redis itself, which refuses a script whose keys span slots.
 */
import { describe, expect, it } from 'vitest';
import { newId, sha256Hex } from '../../src/domain/ids.js';
import { clusterSlotOf } from '../../src/stores/redis/cluster-slot.js';
import { BUCKET_TAGS, CLUSTER_BUCKETS, redisKeys } from '../../src/stores/redis/keys.js';

const slotOf = clusterSlotOf;

describe('the Redis Cluster key layout', () => {
  const keys = redisKeys('hass-auth:', { cluster: true });

  it('computes slots as Redis does (the specification\'s CRC16 example, "123456789" → 0x31C3; tags)', () => {
    expect(slotOf('123456789')).toBe(0x31c3 % 16384);
    // The specification's tag examples, with the slots `CLUSTER KEYSLOT` gave for them (Redis 7.0).
    expect(slotOf('{user1000}.following')).toBe(3443);
    expect(slotOf('foo{}{bar}')).toBe(8363);
    expect(slotOf('foo{{bar}}zap')).toBe(4015);
    expect(slotOf('hass-auth:transitions')).toBe(9360);
  });

  it('gives each bucket a slot in the middle half of its sixteenth of the slots', () => {
    expect(BUCKET_TAGS).toHaveLength(CLUSTER_BUCKETS);
    BUCKET_TAGS.forEach((tag, bucket) => {
      expect(tag.startsWith(bucket.toString(16))).toBe(true);
      const slot = slotOf(`{${tag}}`);
      expect(slot).toBeGreaterThanOrEqual(bucket * 1024 + 256);
      expect(slot).toBeLessThan(bucket * 1024 + 768);
    });
  });

  it('puts a token with its hash index, user set, counts and audit in one slot, and a grant with the token it produces', () => {
    for (let attempt = 0; attempt < 50; attempt++) {
      const id = newId();
      const bucket = keys.bucketOf(id);
      const userId = newId();
      const slot = slotOf(keys.refreshToken(id));
      const hashInBucket = keys.refreshTokenHash(sha256Hex(newId()), bucket);
      for (const key of [hashInBucket, keys.userRefreshTokens(userId, bucket), keys.statesOf('refreshToken', bucket), keys.inState('refreshToken', 'issued', bucket), keys.audit(bucket), keys.auditRecord(id), keys.auditHeld(id), keys.auditUser(userId, bucket)]) {
        expect(slotOf(key)).toBe(slot);
      }
      expect(slotOf(keys.grant(id))).toBe(slot);
      expect(slotOf(keys.flow(id))).toBe(slot);
      expect(slotOf(keys.mfaSetupFlow(id))).toBe(slot);
    }
  });

  it('keeps the directory in one slot of its own', () => {
    const slot = slotOf(keys.users);
    const directory = [keys.owners, keys.onboarded, keys.credential(newId()), keys.directory + keys.credentialLookupSuffix('homeassistant', null, 'paulus'), keys.userCredentials(newId()), keys.passwords, keys.mfa(newId()), keys.secret('x'), keys.sealingMarker, keys.loginFailures('192.0.2.1'), keys.ipBans, keys.inStateFilled, keys.endedRecords('loginFlow', 'done', 1)];
    for (const key of directory) expect(slotOf(key)).toBe(slot);
    expect(BUCKET_TAGS.map((tag) => slotOf(`{${tag}}`))).not.toContain(slot);
  });

  it('reads a key back to its family and name, tag or none', () => {
    const id = newId();
    expect(keys.nameOf(keys.refreshToken(id))).toEqual({ family: 'rt', rest: id });
    expect(keys.nameOf(keys.users)).toEqual({ family: 'users', rest: '' });
    expect(keys.nameOf('hass-auth:rt:untagged')).toBeNull();
    const server = redisKeys('hass-auth:');
    expect(server.nameOf(server.refreshToken(id))).toEqual({ family: 'rt', rest: id });
  });

  it('names keys on one server as before the cluster: no tags, one bucket', () => {
    const server = redisKeys('p:');
    const id = newId();
    expect([server.refreshToken(id), server.users, server.audit(0), server.inState('loginGrant', 'issued', 0), server.userRefreshTokens('u', 0)]).toEqual([`p:rt:${id}`, 'p:users', 'p:audit', 'p:in-state:loginGrant:issued', 'p:user-rts:u']);
    expect(server.buckets).toBe(1);
    expect(server.bucketOf(id)).toBe(0);
  });

  it('refuses a prefix with a brace on a cluster, which would take the tag\'s place', () => {
    expect(() => redisKeys('a{b}:', { cluster: true })).toThrow(RangeError);
  });
});
