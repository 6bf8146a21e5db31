import { describe, expect, it } from 'vitest';
import {
  COMPANION_APP_REDIRECTS,
  parseClientId,
  parseUrl,
  redirectUriAllowedWithoutDiscovery,
  verifyClientId,
} from '../../src/domain/indieauth.js';

// Cases from Home Assistant's tests/components/auth/test_indieauth.py, then the quirks of spec §4.
// Expected values were checked against HA's `_parse_client_id` on Python's `urllib.parse`.

describe('verifyClientId', () => {
  it('gives the same verdicts when asked again, also after more distinct ids than it remembers', () => {
    const ids = Array.from({ length: 3_000 }, (_, n) => (n % 2 === 0 ? `https://client-${n}.example/` : `ftp://client-${n}.example/`));
    for (const round of [1, 2]) {
      expect(ids.map((id) => verifyClientId(id)), `round ${round}`).toEqual(ids.map((_, n) => n % 2 === 0));
    }
  });

  it.each([
    // test_client_id_scheme
    ['http://ex.com/', true],
    ['https://ex.com/', true],
    ['ftp://ex.com', false],
    ['HTTPS://ex.com/', true], // urlparse lowercases the scheme
    ['ex.com', false],
    // test_client_id_path
    ['http://ex.com/hello/.world', true],
    ['http://ex.com/hello./.world', true],
    ['http://ex.com/.', false],
    ['http://ex.com/hello/./yo', false],
    ['http://ex.com/hello/../yo', false],
    ['http://ex.com/hello/..', false],
    ['http://ex.com/..;params', false], // `;params` of the last segment is not part of the path
    ['http://ex.com/%2e%2e/', true], // no percent-decoding (WHATWG would read this as `..`)
    ['http://ex.com/.\t./', false], // tabs are removed before parsing
    [' \u0000http://ex.com/', true], // leading C0 controls and spaces are stripped
    // test_client_id_fragment
    ['http://ex.com/#yoo', false],
    ['http://ex.com/#', true], // an empty fragment is no fragment
    ['http://ex.com/?q=1', true],
    // test_client_id_user_pass
    ['http://user@ex.com/', false],
    ['http://user:pass@ex.com/', false],
    ['http://@ex.com/', false],
    ['http://:pass@ex.com/', false],
  ])('%j → %s', (clientId, expected) => {
    expect(verifyClientId(clientId)).toBe(expected);
  });

  it.each([
    // test_client_id_hostname
    ['http://www.home-assistant.io/', true],
    ['http://[::1]', true],
    ['http://127.0.0.1', true],
    ['http://10.0.0.0', true],
    ['http://10.255.255.255', true],
    ['http://172.16.0.0', true],
    ['http://172.31.255.255', true],
    ['http://192.168.0.0', true],
    ['http://192.168.255.255', true],
    ['http://11.0.0.0/', false],
    ['http://172.32.0.0/', false],
    ['http://192.167.0.0/', false],
    // spec §4.1: the IP test sees the netloc with its port
    ['http://8.8.8.8/', false],
    ['http://8.8.8.8:8123/', true],
    ['http://8.8.8.8:/', true],
    ['http://[2001:db8::1]/', false],
    ['http://[2001:db8::1]:8123/', true],
    ['http://[fe80::1%25eth0]/', true],
    ['http://[fd00::1]/', true],
    ['http://[fc00::1]/', false],
    ['http://[::ffff:8.8.8.8]/', false],
    ['http://[::ffff:192.168.0.1]/', true],
    ['http://100.64.0.1/', false],
    ['http://169.254.1.1/', true],
    ['http://[v1.future]/', true], // an IPvFuture host passes urlparse and is no IP
  ])('host of %j → %s', (clientId, expected) => {
    expect(verifyClientId(clientId)).toBe(expected);
  });

  it.each([
    ['http://ex.com:0/', true],
    ['http://ex.com:65535/', true],
    ['http://ex.com:0080/', true],
    ['http://ex.com:65536/', false],
    ['http://ex.com:abc/', false],
    ['http://ex.com:-1/', false],
    ['http://ex.com:+80/', false],
    ['http://ex.com:٨٠/', false], // digits, but not ASCII
    ['http://::1/', false], // unbracketed IPv6: port ":1"
  ])('port of %j → %s', (clientId, expected) => {
    expect(verifyClientId(clientId)).toBe(expected);
  });

  it.each([
    'http:///x', // empty netloc: Home Assistant answers 500 (IndexError), here it is invalid
    'https:/x',
    'http:ex.com',
    'http://',
    'http://[::1/', // urlparse raises "Invalid IPv6 URL"
    'http://::1]/',
    'http://[192.168.0.1]/', // an IPv4 address cannot be in brackets, not even a local one
    'http://[example.com]/',
    'http://a[::1]/', // Python 3.13.2+ (CVE-2025-0938): nothing before the bracket
    'http://[::1]a/', // ...and only a port after it
    'http://[v1]/',
    'http://ex.com\u2100/', // ℀ turns into a/c under NFKC
  ])('%j is not a client_id (urlparse raises, or no host)', (clientId) => {
    expect(verifyClientId(clientId)).toBe(false);
  });
});

describe('parseClientId (test_client_id_path)', () => {
  it.each([
    ['http://ex.com', '/'],
    ['http://ex.com/hello', '/hello'],
    ['http://ex.com/hello/.world', '/hello/.world'],
    ['http://ex.com/hello./.world', '/hello./.world'],
  ])('%j has path %j', (clientId, path) => {
    expect(parseClientId(clientId)?.path).toBe(path);
  });

  it('is null where Home Assistant raises', () => {
    expect(parseClientId('http://ex.com/.')).toBeNull();
  });
});

describe('parseUrl (test_parse_url_lowercase_host, test_parse_url_path)', () => {
  it('keeps the path and lowercases the host', () => {
    expect(parseUrl('http://ex.com/hello')?.path).toBe('/hello');
    expect(parseUrl('http://EX.COM/hello')?.hostname).toBe('ex.com');
    expect(parseUrl('http://EX.COM:123/HELLO')).toMatchObject({ netloc: 'ex.com:123', path: '/HELLO', port: 123 });
  });

  it('makes an empty path "/"', () => {
    expect(parseUrl('http://ex.com')?.path).toBe('/');
  });

  it('splits like Python urlparse, not like WHATWG URL', () => {
    expect(parseUrl('HTTP://U:P@EX.com:80/a/../b;p?q=1#F')).toEqual({
      scheme: 'http',
      netloc: 'u:p@ex.com:80',
      path: '/a/../b',
      params: 'p',
      query: 'q=1',
      fragment: 'F',
      username: 'u',
      password: 'p',
      hostname: 'ex.com',
      port: 80,
    });
    expect(parseUrl('homeassistant://auth-callback')).toMatchObject({ scheme: 'homeassistant', netloc: 'auth-callback' });
    expect(parseUrl('http://[::1]:99999')).toMatchObject({ hostname: '::1', port: 'invalid' });
    expect(parseUrl('http://[::1')).toBeNull();
  });
});

describe('redirectUriAllowedWithoutDiscovery', () => {
  it.each([
    // test_verify_redirect_uri
    ['http://ex.com', 'http://ex.com/callback', true],
    ['http://ex.com', 'http://different.com/callback', false],
    ['http://ex.com', 'https://ex.com/callback', false],
    ['https://sub1.ex.com', 'https://sub2.ex.com/callback', false],
    // same origin = same scheme and lowercased netloc, port and userinfo included
    ['http://EX.com/app', 'HTTP://ex.COM/other?x#y', true],
    ['http://ex.com:8123', 'http://ex.com:8123/cb', true],
    ['http://ex.com:8123', 'http://ex.com/cb', false],
    ['http://ex.com', 'http://user@ex.com/cb', false],
    ['http://8.8.8.8:8123/', 'http://8.8.8.8:8123/cb', true],
    // the client_id must be valid first
    ['ftp://ex.com', 'ftp://ex.com/cb', false],
    ['http://8.8.8.8/', 'http://8.8.8.8/cb', false],
    ['http:///x', 'http:///cb', false],
    // an unparseable redirect_uri is refused (2025.6.3: 500; [NEWER]: False)
    ['http://ex.com', 'http://[ex.com/cb', false],
    ['https://home-assistant.io/iOS', 'http://[', false],
  ])('%j, %j → %s', (clientId, redirectUri, expected) => {
    expect(redirectUriAllowedWithoutDiscovery(clientId, redirectUri)).toBe(expected);
  });

  it.each([
    // test_verify_redirect_uri_android_ios
    ['https://home-assistant.io/android', 'homeassistant://auth-callback', true],
    ['https://home-assistant.io/iOS', 'homeassistant://auth-callback', true],
    ['https://home-assistant.io/android', 'homeassistant://something-else', false],
    ['https://home-assistant.io/iOS', 'homeassistant://something-else', false],
    ['https://incorrect.com', 'homeassistant://auth-callback', false],
    ['https://home-assistant.io/android', 'https://wear.googleapis.com/3p_auth/io.homeassistant.companion.android', true],
    ['https://home-assistant.io/android', 'https://wear.googleapis-cn.com/3p_auth/io.homeassistant.companion.android', true],
    ['https://home-assistant.io/iOS', 'https://wear.googleapis.com/3p_auth/io.homeassistant.companion.android', false],
    ['https://home-assistant.io/iOS', 'https://wear.googleapis-cn.com/3p_auth/io.homeassistant.companion.android', false],
    // exact comparison of the raw strings
    ['https://home-assistant.io/ios', 'homeassistant://auth-callback', false],
    ['https://HOME-ASSISTANT.io/iOS', 'homeassistant://auth-callback', false],
    ['https://home-assistant.io/iOS', 'HOMEASSISTANT://auth-callback', false],
    ['https://home-assistant.io/iOS', 'homeassistant://auth-callback/', false],
  ])('companion app %j, %j → %s', (clientId, redirectUri, expected) => {
    expect(redirectUriAllowedWithoutDiscovery(clientId, redirectUri)).toBe(expected);
  });

  it('lists exactly the four companion-app rows of spec §4.2', () => {
    expect(COMPANION_APP_REDIRECTS.map((row) => `${row.clientId} ${row.redirectUri}`)).toEqual([
      'https://home-assistant.io/iOS homeassistant://auth-callback',
      'https://home-assistant.io/android homeassistant://auth-callback',
      'https://home-assistant.io/android https://wear.googleapis.com/3p_auth/io.homeassistant.companion.android',
      'https://home-assistant.io/android https://wear.googleapis-cn.com/3p_auth/io.homeassistant.companion.android',
    ]);
  });
});
