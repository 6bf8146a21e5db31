/** Ids and secrets in Home Assistant's formats, the secrets drawn from a pool of random bytes (ids.ts). */
import { describe, expect, it } from 'vitest';
import { newId, newSecret, randomBytesFromPool, sha256Hex } from '../../src/domain/ids.js';

describe('ids and secrets', () => {
  it('are uuid4().hex and token_hex(64): 32 and 128 lowercase hex characters', () => {
    expect(newId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newSecret()).toMatch(/^[0-9a-f]{128}$/);
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('never hand out the same bytes twice, across many refills of the pool', () => {
    // 200 secrets of 64 bytes and nonces of 12 in between: the 4 KiB pool is refilled four times.
    const drawn = Array.from({ length: 200 }, () => [newSecret(), randomBytesFromPool(12).toString('hex')]).flat();
    expect(new Set(drawn).size).toBe(drawn.length);
    // No 8-byte run of one draw reappears in another (a pool handing out overlapping slices would).
    const runs = drawn.flatMap((hex) => Array.from({ length: hex.length / 16 }, (_, at) => hex.slice(16 * at, 16 * at + 16)));
    expect(new Set(runs).size).toBe(runs.length);
  });

  it('give bytes of their own, which the pool refilled later does not change', () => {
    const first = randomBytesFromPool(16);
    const kept = Buffer.from(first);
    for (let drawn = 0; drawn < 2 * 4096; drawn += 64) newSecret();
    expect(first.equals(kept)).toBe(true);
    expect(() => randomBytesFromPool(4097)).toThrow(RangeError);
  });
});
