/**
 * A map that forgets its oldest entry past `limit`: what a process remembers to save work (opened
 * secrets, prepared JWT keys, whose a token is) must not grow with the tokens it ever saw. A Map
 * iterates in insertion order, so its first key is the oldest.
 */
export function rememberIn<K, V>(map: Map<K, V>, key: K, value: V, limit: number): V {
  map.set(key, value);
  if (map.size > limit) map.delete(map.keys().next().value as K);
  return value;
}
