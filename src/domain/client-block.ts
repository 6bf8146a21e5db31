/**
 * The addresses one client is taken to hold, for limits per client (open login flows): an IPv4
 * address, or an IPv6 /64. A /64 is one link's (RFC 4291 §2.5.4, RFC 7421), and a host on it may
 * take any address in it (privacy addresses, RFC 8981), so counting single IPv6 addresses would let
 * one host have 2^64 of them. An IPv4-mapped address (a dual-stack socket) is its IPv4 address.
 */
import { formatIpAddress, parseIpAddress } from './network.js';

const MAPPED = 0xffffn;

/** `203.0.113.7`, `2001:db8:1:2::/64`; text that is not an address stands for itself. */
export function clientBlock(ip: string): string {
  const address = parseIpAddress(ip);
  if (address === null) return ip;
  if (address.version === 4) return formatIpAddress(address);
  if (address.value >> 32n === MAPPED) return formatIpAddress({ version: 4, value: address.value & 0xffffffffn, scopeId: null });
  return `${formatIpAddress({ version: 6, value: (address.value >> 64n) << 64n, scopeId: null })}/64`;
}
