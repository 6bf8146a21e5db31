/**
 * The guard of redirect-URI discovery (src/domain/public-address.ts): only public unicast addresses,
 * whatever the spelling. Every IPv6 form that carries a loopback or private IPv4 address is refused:
 * IPv4-mapped and IPv4-translated (judged as their IPv4 address), NAT64, and the forms refused whole
 * (IPv4-compatible, local-use NAT64, 6to4, Teredo); each in dotted and in hex spelling.
 */
import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/domain/public-address.js';

describe('public addresses (the discovery guard)', () => {
  it.each([
    '8.8.8.8', '93.184.216.34', '2606:4700:4700::1111',
    // An IPv4 address seen through a dual-stack socket, IPv4-translated, or through DNS64's NAT64 prefix.
    '::ffff:8.8.8.8', '::ffff:0:808:808', '64:ff9b::8.8.8.8', '64:ff9b::808:808',
  ])('lets %s through', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.5', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
    '255.255.255.255', '192.0.2.1', '203.0.113.5', '198.18.0.1',
    '::1', '::', 'fd00::1', 'fc00::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', '2001:db8::1',
    '::ffff:127.0.0.1', '::FFFF:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::ffff:0:7f00:1', '::ffff:0:10.0.0.1',
    'not-an-ip', '127.1', '0x7f.0.0.1', '0177.0.0.1',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    // IPv4-compatible (::/96), deprecated: refused whatever the IPv4 address, as spelled either way.
    ['IPv4-compatible', ['::127.0.0.1', '::7f00:1', '::10.0.0.1', '::a00:1', '::192.168.1.1', '::c0a8:101', '::8.8.8.8', '::808:808']],
    // The well-known NAT64 prefix, judged as the IPv4 address it carries.
    ['NAT64 (64:ff9b::/96)', ['64:ff9b::127.0.0.1', '64:ff9b::7f00:1', '64:ff9b::10.0.0.1', '64:ff9b::a00:1', '64:ff9b::169.254.169.254']],
    // Local-use NAT64 prefixes (RFC 8215): not global, refused whole.
    ['local-use NAT64 (64:ff9b:1::/48)', ['64:ff9b:1::7f00:1', '64:ff9b:1::10.0.0.1', '64:ff9b:1:a00:1::', '64:ff9b:1::808:808']],
    // 6to4 carries its gateway's IPv4 address in bits 16-47: refused whole.
    ['6to4 (2002::/16)', ['2002:7f00:1::', '2002:7f00:1::1', '2002:a00:1::1', '2002:c0a8:101::1', '2002:808:808::1']],
    // Teredo carries its server's and (inverted) its client's IPv4 address: refused whole.
    ['Teredo (2001::/32)', ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001::7f00:1', '2001:0:7f00:1::']],
  ])('refuses every %s spelling', (_form, addresses) => {
    for (const address of addresses) expect(isPublicAddress(address), address).toBe(false);
  });
});
