/**
 * IP networks as Home Assistant's configuration reads them (Python's strict `ip_network`) and
 * `address in network`, with IPv4-mapped addresses matching their IPv4 networks.
 */
import { describe, expect, it } from 'vitest';
import { formatIpNetwork, inAnyNetwork, ipNetwork, parseIpNetwork } from '../../src/domain/ip-network.js';

describe('parseIpNetwork (Python ip_network, strict)', () => {
  it.each([
    ['192.168.0.0/24', '192.168.0.0/24'],
    ['10.1.2.3', '10.1.2.3/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.0.0.0/08', '10.0.0.0/8'],
    ['FD00::/8', 'fd00::/8'],
    ['::1', '::1/128'],
    ['2001:db8:0:0::/64', '2001:db8::/64'],
  ])('reads %s as %s', (text, normalized) => {
    const network = parseIpNetwork(text);
    if ('error' in network) throw new Error(network.error);
    expect(formatIpNetwork(network)).toBe(normalized);
  });

  it.each([
    ['192.168.0.1/24', '192.168.0.1/24 has host bits set'],
    ['fd00::1/8', 'fd00::1/8 has host bits set'],
    ['192.168.0.0/33', '192.168.0.0/33 is not an IP network'],
    ['192.168.0.0/', '192.168.0.0/ is not an IP network'],
    ['192.168.0.0/-1', '192.168.0.0/-1 is not an IP network'],
    ['10.0.0.0/255.0.0.0', '10.0.0.0/255.0.0.0 is not an IP network'],
    ['lan', 'lan is not an IP network'],
    ['', ' is not an IP network'],
    ['fe80::%eth0/64', 'fe80::%eth0/64 is not an IP network'],
  ])('refuses %j: %s', (text, error) => {
    expect(parseIpNetwork(text)).toEqual({ error });
  });
});

describe('inAnyNetwork (Python `ip in network`)', () => {
  const lan = [ipNetwork('192.168.0.0/24'), ipNetwork('fd00::/8')];

  it.each([
    ['192.168.0.7', true],
    ['192.168.1.7', false],
    ['fd12::1', true],
    ['fe80::1', false],
    ['not an ip', false],
    // An IPv4 client of a dual-stack socket, as Node reports it (Home Assistant sees it as IPv4).
    ['::ffff:192.168.0.7', true],
    ['::ffff:192.168.1.7', false],
    // IPv4-compatible (not mapped) addresses stay IPv6, as in Python.
    ['::192.168.0.7', false],
  ])('%s → %s', (ip, inside) => {
    expect(inAnyNetwork(ip, lan)).toBe(inside);
  });

  it('never puts an IPv4 address in an IPv6 network', () => {
    expect(inAnyNetwork('192.168.0.7', [ipNetwork('::ffff:0:0/96')])).toBe(false);
    expect(inAnyNetwork('10.0.0.1', [])).toBe(false);
  });
});
