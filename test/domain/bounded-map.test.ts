/** What a process remembers to save work stays bounded (domain/bounded-map.ts). */
import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/domain/bounded-map.js';

describe('a bounded map', () => {
  it('holds at most twice its limit, the latest entries always, and forgets the oldest generation whole', () => {
    const map = new BoundedMap<number, string>(100);
    for (let n = 0; n < 1_000; n += 1) {
      map.set(n, `v${n}`);
      expect(map.size).toBeLessThanOrEqual(200);
    }
    for (let n = 900; n < 1_000; n += 1) expect(map.get(n)).toBe(`v${n}`);
    expect(map.get(0)).toBeUndefined();
    expect(map.get(799)).toBeUndefined();
  });

  it('keeps an entry read from the older generation through the next turnover, and answers a value set again', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3); // a and b are now the older generation
    expect(map.get('a')).toBe(1); // brought forward
    map.set('d', 4); // c and a turn over; b is dropped
    expect([map.get('a'), map.get('b'), map.get('c'), map.get('d')]).toEqual([1, undefined, 3, 4]);
    expect(map.set('d', 5)).toBe(5);
    expect(map.get('d')).toBe(5);
  });
});
