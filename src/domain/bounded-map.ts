/**
 * What a process remembers to save work (opened secrets, prepared JWT keys, whose a token is) must
 * not grow with the tokens it ever saw. Two generations: entries go into the current map; when it
 * holds `limit`, it becomes the previous one and the one before is dropped whole. A read that finds
 * an entry only in the previous generation brings it forward. So at most 2 × `limit` entries, and
 * every operation O(1): a Map trimmed one oldest key at a time (`keys().next()`) walks the deleted
 * slots at its front on every trim, which cost a rotation about 7 µs per remembered value.
 */
export class BoundedMap<K, V> {
  #current = new Map<K, V>();
  #previous = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const found = this.#current.get(key);
    if (found !== undefined) return found;
    const old = this.#previous.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  /** Remembers `value` and returns it. */
  set(key: K, value: V): V {
    if (this.#current.size >= this.limit && !this.#current.has(key)) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(key, value);
    return value;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}
