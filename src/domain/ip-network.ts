/**
 * IP networks as Home Assistant's configuration reads them (`ipaddress.ip_network(text)`, strict):
 * `trusted_proxies` (http), `trusted_networks` and the keys of `trusted_users` (the trusted_networks
 * provider, ha-auth-spec §14.2).
 *
 * - `192.168.0.0/24`, `fd00::/8`; a bare address is a /32 (/128) network.
 * - Host bits set (`192.168.0.1/24`) is an error, as Python's strict `ip_network` says.
 * - Only prefix lengths: Python's netmask forms (`10.0.0.0/255.0.0.0`) and scope ids are refused here.
 *
 * Membership is Python's `address in network` (same version, same leading bits), with one exception
 * on purpose: an IPv4-mapped IPv6 address (`::ffff:192.168.0.5`) is in the IPv4 networks of its IPv4
 * address. Node reports IPv4 clients of a dual-stack socket (`HOST=::`) that way, where Home
 * Assistant, which listens on separate IPv4 and IPv6 sockets, sees an IPv4 address.
 */
import { formatIpAddress, parseIpAddress, type IpAddress } from './network.js';

export interface IpNetwork {
  readonly version: 4 | 6;
  /** The network address, host bits all zero. */
  readonly base: bigint;
  readonly prefix: number;
}

const bitsOf = (version: 4 | 6) => (version === 4 ? 32 : 128);

/** The network, or the reason Python's `ip_network(text)` (strict) would refuse it. */
export function parseIpNetwork(text: string): IpNetwork | { error: string } {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseIpAddress(addressText);
  if (address === null || address.scopeId !== null) return { error: `${text} is not an IP network` };
  const bits = bitsOf(address.version);
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1);
  if (!/^[0-9]+$/.test(prefixText) || Number(prefixText) > bits) return { error: `${text} is not an IP network` };
  const prefix = Number(prefixText);
  const hostBits = BigInt(bits - prefix);
  if ((address.value >> hostBits) << hostBits !== address.value) return { error: `${text} has host bits set` };
  return { version: address.version, base: address.value, prefix };
}

/** `str(ip_network(...))`: the network address and the prefix length. */
export function formatIpNetwork(network: IpNetwork): string {
  return `${formatIpAddress({ version: network.version, value: network.base, scopeId: null })}/${network.prefix}`;
}

/** A network from configuration text that was validated already (auth-config.ts). */
export function ipNetwork(text: string): IpNetwork {
  const parsed = parseIpNetwork(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

const IPV4_MAPPED = 0xffffn;

function inNetwork(address: IpAddress, network: IpNetwork): boolean {
  let { version, value } = address;
  if (version === 6 && network.version === 4 && value >> 32n === IPV4_MAPPED) {
    version = 4;
    value &= 0xffffffffn;
  }
  if (version !== network.version) return false;
  const hostBits = BigInt(bitsOf(version) - network.prefix);
  return value >> hostBits === network.base >> hostBits;
}

/** `any(ip in network for network in networks)`; false for text that is not an IP address. */
export function inAnyNetwork(ip: string | IpAddress, networks: readonly IpNetwork[]): boolean {
  const address = typeof ip === 'string' ? parseIpAddress(ip) : ip;
  return address !== null && networks.some((network) => inNetwork(address, network));
}
