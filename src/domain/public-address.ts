/**
 * Whether an address is on the public internet, for the guard of redirect-URI discovery: the
 * service fetches a URL its client named (IndieAuth, ha-auth-spec §4.2), which Home Assistant does
 * without any allow-list (§16.2 #7, an SSRF primitive).
 *
 * The special ranges are ipaddr.js' (`range()`), a maintained table of the IANA registries: an IPv4
 * address must be plain `unicast` (not loopback, private, link-local, carrier-grade NAT, "this
 * network", multicast, broadcast, documentation, benchmarking or reserved), and so must an IPv6 one,
 * except the spellings of an IPv4 address that real networks route, judged as that IPv4 address:
 * IPv4-mapped `::ffff:a.b.c.d` (a dual-stack socket), IPv4-translated `::ffff:0:a.b.c.d` (RFC 6145)
 * and the well-known NAT64 prefix `64:ff9b::/96` (RFC 6052, DNS64 on an IPv6-only network). Every
 * other IPv6 form that carries an IPv4 address is refused whole, whatever that address: IPv4-compatible
 * `::a.b.c.d` (deprecated, RFC 4291 §2.5.5.1), local-use NAT64 `64:ff9b:1::/48` (RFC 8215: not global,
 * and where the IPv4 address sits depends on the local prefix length), 6to4 `2002::/16` (RFC 3056,
 * relays deprecated by RFC 7526) and Teredo `2001::/32` (RFC 4380).
 *
 * The text is parsed by network.ts (Python's `ip_address`, as everywhere else here), not by
 * ipaddr.js, whose parser reads `::a.b.c.d` as `::ffff:a.b.c.d`: the same address written `::7f00:1`
 * and `::127.0.0.1` would get two answers.
 */
import ipaddr from 'ipaddr.js';
import { parseIpAddress, type IpAddress } from './network.js';

const WELL_KNOWN_NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

function bytesOf({ version, value }: IpAddress): number[] {
  const length = version === 4 ? 4 : 16;
  return Array.from({ length }, (_, index) => Number((value >> BigInt(8 * (length - 1 - index))) & 0xffn));
}

/** The IPv4 address in the last 32 bits. */
function lastIpv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  return new ipaddr.IPv4(address.toByteArray().slice(12));
}

function isPublicIpv6(address: ipaddr.IPv6): boolean {
  const range = address.range();
  const embedsRoutedIpv4 = range === 'ipv4Mapped' || range === 'rfc6145' || (range === 'rfc6052' && address.match(WELL_KNOWN_NAT64));
  if (embedsRoutedIpv4) return lastIpv4(address).range() === 'unicast';
  // ipaddr.js names no range for IPv4-compatible addresses (`::` and `::1` apart).
  return range === 'unicast' && !address.match(IPV4_COMPATIBLE);
}

export function isPublicAddress(text: string): boolean {
  const parsed = parseIpAddress(text);
  if (parsed === null) return false;
  const address = ipaddr.fromByteArray(bytesOf(parsed));
  return address instanceof ipaddr.IPv6 ? isPublicIpv6(address) : address.range() === 'unicast';
}
