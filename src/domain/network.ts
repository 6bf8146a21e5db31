/**
 * Which addresses count as "local" — Home Assistant's `homeassistant/util/network.py` (spec §9.3).
 *
 * `is_local(ip) = is_loopback or is_private or is_link_local`, where
 * - loopback:   Python's `ip.is_loopback` (127.0.0.0/8, ::1) or `::ffff:127.0.0.0/104`;
 * - private:    10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fd00::/8, and the IPv4-mapped forms
 *               `::ffff:10.0.0.0/104`, `::ffff:172.16.0.0/108`, `::ffff:192.168.0.0/112`;
 * - link-local: Python's `ip.is_link_local` (169.254.0.0/16, fe80::/10).
 *
 * Kept on purpose:
 * - only fd00::/8 is private, not all of the unique-local fc00::/7; CGNAT 100.64.0.0/10 (Tailscale) is
 *   not local; IPv4-compatible `::a.b.c.d` is not local; an IPv4 address never matches an IPv6 range.
 * - `::ffff:169.254.0.0/112` is link-local: Home Assistant runs on Python 3.13, whose
 *   `IPv6Address.is_link_local` answers for the embedded IPv4 address (CPython gh-122792), and
 *   `LINK_LOCAL_NETWORKS` in network.py lists that range too.
 *
 * `parseIpAddress` follows Python's `ipaddress.ip_address(text)` exactly, because the client-id check
 * (indieauth.ts) asks "does Python parse this netloc as an IP?". Node's `net.isIP` agrees except for
 * scope ids: Python takes any non-empty scope without `%` (`fe80::1%foo bar`), Node does not. The
 * ranges are compared on the parsed integers instead of `net.BlockList`, which silently folds
 * IPv4-mapped IPv6 addresses into IPv4 rules (undocumented) and rejects such scope ids.
 */

export interface IpAddress {
  readonly version: 4 | 6;
  /** The address as an unsigned 32- or 128-bit integer. */
  readonly value: bigint;
  /** IPv6 zone (`fe80::1%eth0` → `eth0`); always null for IPv4. */
  readonly scopeId: string | null;
}

interface Network {
  readonly version: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

const DECIMAL_OCTET = /^[0-9]{1,3}$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;
const HEXTET_COUNT = 8;

/** Python `IPv4Address(text)`: four dotted decimals, 0-255, ASCII digits only, no leading zeros. */
function parseIpv4(text: string): bigint | null {
  const octets = text.split('.');
  if (octets.length !== 4) return null;
  let value = 0n;
  for (const octet of octets) {
    if (!DECIMAL_OCTET.test(octet) || (octet.length > 1 && octet.startsWith('0'))) return null;
    const number = Number(octet);
    if (number > 255) return null;
    value = (value << 8n) | BigInt(number);
  }
  return value;
}

/** Python `IPv6Address._ip_int_from_string`: the hextets, with at most one `::` and an IPv4 tail. */
function parseHextets(text: string): bigint | null {
  const parts = text.split(':');
  if (parts.length < 3) return null;
  const last = parts[parts.length - 1] ?? '';
  if (last.includes('.')) {
    const ipv4 = parseIpv4(last);
    if (ipv4 === null) return null;
    parts.splice(-1, 1, (ipv4 >> 16n).toString(16), (ipv4 & 0xffffn).toString(16));
  }
  if (parts.length > HEXTET_COUNT + 1) return null;
  const hextets = expandDoubleColon(parts);
  if (hextets === null || !hextets.every((hextet) => HEXTET.test(hextet))) return null;
  return hextets.reduce((value, hextet) => (value << 16n) | BigInt(`0x${hextet}`), 0n);
}

/** Replaces the one `::` run by zero hextets; null where Python raises. */
function expandDoubleColon(parts: string[]): string[] | null {
  const inner = parts.slice(1, -1);
  const skipAt = inner.indexOf('') + 1;
  if (skipAt === 0) {
    return parts.length === HEXTET_COUNT ? parts : null;
  }
  if (inner.indexOf('', skipAt) !== -1) return null;
  // An empty first (last) part is allowed only as the other half of a leading (trailing) `::`.
  let head = parts.slice(0, skipAt);
  let tail = parts.slice(skipAt + 1);
  if (head[0] === '') {
    if (head.length > 1) return null;
    head = [];
  }
  if (tail[tail.length - 1] === '') {
    if (tail.length > 1) return null;
    tail = [];
  }
  const skipped = HEXTET_COUNT - head.length - tail.length;
  if (skipped < 1) return null;
  return [...head, ...new Array<string>(skipped).fill('0'), ...tail];
}

/** Python `IPv6Address(text)`: an optional `%scope` (non-empty, no second `%`), no `/`. */
function parseIpv6(text: string): IpAddress | null {
  if (text.includes('/')) return null;
  const percent = text.indexOf('%');
  const scopeId = percent === -1 ? null : text.slice(percent + 1);
  if (scopeId === '' || scopeId?.includes('%')) return null;
  const value = parseHextets(percent === -1 ? text : text.slice(0, percent));
  return value === null ? null : { version: 6, value, scopeId };
}

/** Python `ipaddress.ip_address(text)`; null where Python raises `ValueError`. */
export function parseIpAddress(text: string): IpAddress | null {
  const ipv4 = parseIpv4(text);
  return ipv4 === null ? parseIpv6(text) : { version: 4, value: ipv4, scopeId: null };
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952 text as Python 3.13 `str()` writes it: longest zero run (2+, first wins) becomes `::`. */
function formatIpv6(value: bigint): string {
  const hextets = Array.from({ length: HEXTET_COUNT }, (_, i) =>
    ((value >> BigInt(16 * (HEXTET_COUNT - 1 - i))) & 0xffffn).toString(16),
  );
  let best = { start: -1, length: 1 };
  let run = { start: -1, length: 0 };
  hextets.forEach((hextet, i) => {
    run = hextet === '0' ? { start: run.length === 0 ? i : run.start, length: run.length + 1 } : { start: -1, length: 0 };
    if (run.length > best.length) best = run;
  });
  if (best.start === -1) return hextets.join(':');
  const head = hextets.slice(0, best.start).join(':');
  const tail = hextets.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/** Python 3.13 `str(ip_address(...))`, which writes IPv4-mapped addresses as `::ffff:a.b.c.d`. */
export function formatIpAddress(address: IpAddress): string {
  if (address.version === 4) return formatIpv4(address.value);
  const text =
    address.value >> 32n === 0xffffn ? `::ffff:${formatIpv4(address.value & 0xffffffffn)}` : formatIpv6(address.value);
  return address.scopeId === null ? text : `${text}%${address.scopeId}`;
}

/** The normalized text of an IP address, or null when Python's `ip_address` would refuse it. */
export function parseIp(text: string): string | null {
  const address = parseIpAddress(text);
  return address === null ? null : formatIpAddress(address);
}

function network(cidr: string): Network {
  const [base = '', prefix = ''] = cidr.split('/');
  const address = parseIpAddress(base);
  if (address === null) throw new Error(`bad network ${cidr}`);
  return { version: address.version, base: address.value, prefix: Number(prefix) };
}

/** Python `address in network`: same version, same leading `prefix` bits (the scope id is ignored). */
function inNetwork(address: IpAddress, net: Network): boolean {
  if (address.version !== net.version) return false;
  const hostBits = BigInt((address.version === 4 ? 32 : 128) - net.prefix);
  return address.value >> hostBits === net.base >> hostBits;
}

const LOOPBACK = ['127.0.0.0/8', '::1/128', '::ffff:127.0.0.0/104'].map(network);
const PRIVATE = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fd00::/8',
  '::ffff:10.0.0.0/104',
  '::ffff:172.16.0.0/108',
  '::ffff:192.168.0.0/112',
].map(network);
const LINK_LOCAL = ['169.254.0.0/16', 'fe80::/10', '::ffff:169.254.0.0/112'].map(network);

function matcher(networks: readonly Network[]): (ip: string | IpAddress) => boolean {
  return (ip) => {
    const address = typeof ip === 'string' ? parseIpAddress(ip) : ip;
    return address !== null && networks.some((net) => inNetwork(address, net));
  };
}

/** `is_loopback`; false for text that is not an IP address (also for the predicates below). */
export const isLoopback = matcher(LOOPBACK);
/** `is_private` (Home Assistant's list, not Python's `is_private`). */
export const isPrivate = matcher(PRIVATE);
/** `is_link_local`. */
export const isLinkLocal = matcher(LINK_LOCAL);
/** `is_local` = loopback or private or link-local. */
export const isLocal = matcher([...LOOPBACK, ...PRIVATE, ...LINK_LOCAL]);
