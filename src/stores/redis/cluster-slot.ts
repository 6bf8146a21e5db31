/**
 * The hash slot of a key or channel name on Redis Cluster: CRC16 (XMODEM) of its hash tag (the
 * first non-empty `{…}`), else of the whole name, mod 16384 (Redis' cluster specification, "Keys
 * distribution model"). node-redis computes it inside its cluster client without exporting it; the
 * subscriptions need it to meet their publishers on one node (cluster-connection.ts).
 */
/** How many hash slots a Redis Cluster has. */
export const CLUSTER_SLOTS = 16_384;

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export function clusterSlotOf(name: string): number {
  const open = name.indexOf('{');
  const close = open < 0 ? -1 : name.indexOf('}', open + 1);
  const hashed = close > open + 1 ? name.slice(open + 1, close) : name;
  return crc16(Buffer.from(hashed)) % CLUSTER_SLOTS;
}
