import { describe, expect, it } from 'vitest';
import { isLinkLocal, isLocal, isLoopback, isPrivate, parseIp, parseIpAddress } from '../../src/domain/network.js';

// Cases from Home Assistant's tests/util/test_network.py, then spec §9.3's ranges at their edges.
// Expected values were checked against CPython's `ipaddress` and HA's `is_local` (Python 3.13 rules).

describe('isLoopback (test_is_loopback)', () => {
  it.each([
    ['127.0.0.2', true],
    ['127.0.0.1', true],
    ['::1', true],
    ['::ffff:127.0.0.0', true],
    ['0:0:0:0:0:0:0:1', true],
    ['0:0:0:0:0:ffff:7f00:1', true],
    ['127.255.255.255', true],
    ['::ffff:127.255.255.255', true],
    ['104.26.5.238', false],
    ['2600:1404:400:1a4::356e', false],
    ['128.0.0.0', false],
    ['::127.0.0.1', false], // IPv4-compatible, not IPv4-mapped
    ['::2', false],
  ])('%s → %s', (ip, expected) => {
    expect(isLoopback(ip)).toBe(expected);
  });
});

describe('isPrivate (test_is_private)', () => {
  it.each([
    ['192.168.0.1', true],
    ['172.16.12.0', true],
    ['10.5.43.3', true],
    ['fd12:3456:789a:1::1', true],
    ['127.0.0.1', false],
    ['::1', false],
  ])('%s → %s', (ip, expected) => {
    expect(isPrivate(ip)).toBe(expected);
  });
});

describe('isLinkLocal (test_is_link_local)', () => {
  it.each([
    ['169.254.12.3', true],
    ['fe80::1', true],
    ['::ffff:169.254.1.1', true], // Python 3.13: IPv6Address.is_link_local looks at the mapped IPv4
    ['127.0.0.1', false],
    ['fec0::1', false],
  ])('%s → %s', (ip, expected) => {
    expect(isLinkLocal(ip)).toBe(expected);
  });
});

describe('isLocal (test_is_local and spec §9.3)', () => {
  it.each([
    ['192.168.0.1', true],
    ['127.0.0.1', true],
    ['208.5.4.2', false],
    ['9.255.255.255', false],
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['172.15.255.255', false],
    ['172.16.0.0', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['192.167.255.255', false],
    ['192.168.255.255', true],
    ['192.169.0.0', false],
    ['169.253.255.255', false],
    ['169.254.0.0', true],
    ['169.255.0.0', false],
    ['100.64.0.1', false], // CGNAT (Tailscale) is not local
    ['100.127.255.255', false],
    ['0.0.0.0', false],
    ['fd00::1', true],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['fc00::1', false], // only fd00::/8, not all of fc00::/7
    ['fe80::1', true],
    ['febf:ffff::1', true],
    ['fe80::1%eth0', true],
    ['2001:db8::1', false],
    ['::', false],
    ['::ffff:10.1.2.3', true],
    ['::ffff:172.16.0.1', true],
    ['::ffff:172.32.0.1', false],
    ['::ffff:192.168.1.1', true],
    ['::ffff:8.8.8.8', false],
    ['::ffff:100.64.0.1', false],
    ['not an ip', false],
  ])('%s → %s', (ip, expected) => {
    expect(isLocal(ip)).toBe(expected);
  });

  it('takes an already parsed address, whose IPv4/IPv6 version is kept apart', () => {
    const mapped = parseIpAddress('::ffff:10.0.0.1');
    expect(mapped).toEqual({ version: 6, value: 0xffff0a000001n, scopeId: null });
    expect(isLocal({ version: 4, value: 0xffff0a000001n & 0xffffffffn, scopeId: null })).toBe(true);
    // The integer of ::a00:1 read as IPv6 is outside every IPv6 range even though 10.0.0.1 is private.
    expect(isLocal({ version: 6, value: 0x0a000001n, scopeId: null })).toBe(false);
  });
});

describe('parseIp (test_is_ip_address, and Python str() normalization)', () => {
  it.each([
    ['192.168.0.1', '192.168.0.1'],
    ['8.8.8.8', '8.8.8.8'],
    ['::ffff:127.0.0.0', '::ffff:127.0.0.0'],
    ['::1', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::FFFF:1.2.3.4', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:ffff:7f00:1', '::ffff:127.0.0.1'],
    ['2001:0DB8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['::1:2:3:4:5:6:7', '0:1:2:3:4:5:6:7'],
    ['1::', '1::'],
    ['::', '::'],
    ['::1.2.3.4', '::102:304'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
    ['fe80::1%foo bar', 'fe80::1%foo bar'], // Python takes any scope id; Node's net.isIP does not
    ['fe80::1%::1', 'fe80::1%::1'],
  ])('%s → %s', (text, normalized) => {
    expect(parseIp(text)).toBe(normalized);
  });

  it.each([
    '192.168.0.999',
    '192.168.0.0/24',
    'example.com',
    '',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.04', // leading zeros are refused since Python 3.9.5
    '01.2.3.4',
    '256.1.1.1',
    '٨.8.8.8', // non-ASCII digit
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4:80',
    '1.2.3.4%x',
    '[::1]',
    ':1',
    '1:2',
    ':1::2',
    '1::2:',
    '::1::',
    '1:2:3:4:5:6:7::8',
    '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::00001',
    '::g',
    '::ffff:1.2.3.04',
    'fe80::1%',
    'fe80::1%a%b',
    'fe80::1%a/b',
  ])('%j is not an IP address', (text) => {
    expect(parseIp(text)).toBeNull();
  });
});
