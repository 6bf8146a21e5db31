import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthConfigError, DEFAULT_CLIENT_POLICY, loadAuthConfig, parseAuthConfig } from '../src/auth-config.js';

describe('the configuration file', () => {
  it('defaults to Home Assistant\'s: the homeassistant provider, the totp module, no rotation', () => {
    const config = loadAuthConfig(null);
    expect(config.authProviders).toEqual([{ type: 'homeassistant', name: null }]);
    expect(config.mfaModules).toEqual([{ type: 'totp', id: 'totp', name: 'Authenticator app' }]);
    expect(config.clientPolicy('http://127.0.0.1:8123/')).toEqual(DEFAULT_CLIENT_POLICY);
    expect(config.clientPolicy(null)).toEqual({ rotateRefreshTokens: false, graceMs: 60_000, familyLifetimeMs: null });
    expect(config.discovery).toEqual({ allowPrivateAddresses: false });
  });

  it('reads providers, modules and client policies from YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hass-auth-config-'));
    const path = join(dir, 'auth.yaml');
    writeFileSync(
      path,
      [
        'auth_providers:',
        '  - type: homeassistant',
        '    name: Local accounts',
        'auth_mfa_modules:',
        '  - type: totp',
        '  - type: totp',
        '    id: totp2',
        '    name: Second app',
        'clients:',
        '  "https://app.example/":',
        '    refresh_token_rotation: true',
        '    grace_period: 5',
        '    family_lifetime: 86400',
        '  "https://other.example/": {}',
        'redirect_uri_discovery:',
        '  allow_private_addresses: true',
      ].join('\n'),
    );
    const config = loadAuthConfig(path);
    expect(config.authProviders).toEqual([{ type: 'homeassistant', name: 'Local accounts' }]);
    expect(config.mfaModules).toEqual([
      { type: 'totp', id: 'totp', name: 'Time-based One Time Password' },
      { type: 'totp', id: 'totp2', name: 'Second app' },
    ]);
    expect(config.clientPolicy('https://app.example/')).toEqual({ rotateRefreshTokens: true, graceMs: 5000, familyLifetimeMs: 86_400_000 });
    expect(config.clientPolicy('https://other.example/')).toEqual(DEFAULT_CLIENT_POLICY);
    expect(config.discovery).toEqual({ allowPrivateAddresses: true });
  });

  it.each([
    ['auth_providers: [{type: insecure_example}]', 'auth_providers[0].type must be one of homeassistant'],
    ['auth_mfa_modules: [{type: totp}, {type: totp}]', 'auth_mfa_modules: two modules with the id totp'],
    ['clients: {"app.example": {}}', 'clients: "app.example" is not an http(s) client id'],
    ['clients: {"https://a/": {grace_period: "60"}}', 'clients["https://a/"].grace_period must be integer'],
    ['clients: {"https://a/": {rotate: true}}', 'clients["https://a/"]: unknown key rotate'],
    ['homeassistant: {}', 'the file: unknown key homeassistant'],
    ['auth_providers: [', 'not YAML'],
  ])('refuses %j, naming the field', (text, message) => {
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(AuthConfigError);
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(message);
  });

  it('names a file it cannot read', () => {
    expect(() => loadAuthConfig('/nonexistent/auth.yaml')).toThrow('CONFIG_FILE /nonexistent/auth.yaml cannot be read: ENOENT');
  });
});

describe('the configuration file: http (failed logins and IP bans)', () => {
  it("defaults to Home Assistant's: bans enforced, but no threshold, so nothing is ever banned", () => {
    expect(loadAuthConfig(null).http).toEqual({ ipBanEnabled: true, loginAttemptsThreshold: -1 });
    expect(parseAuthConfig('http: {}', 'test.yaml').http).toEqual({ ipBanEnabled: true, loginAttemptsThreshold: -1 });
  });

  it('reads ip_ban_enabled and login_attempts_threshold', () => {
    const text = ['http:', '  ip_ban_enabled: false', '  login_attempts_threshold: 5'].join('\n');
    expect(parseAuthConfig(text, 'test.yaml').http).toEqual({ ipBanEnabled: false, loginAttemptsThreshold: 5 });
    expect(parseAuthConfig('http: {login_attempts_threshold: 0}', 'test.yaml').http.loginAttemptsThreshold).toBe(0);
  });

  it.each([
    ['http: {login_attempts_threshold: -2}', 'http.login_attempts_threshold must be >= -1'],
    ['http: {login_attempts_threshold: 2.5}', 'http.login_attempts_threshold must be integer'],
    ['http: {login_attempts_threshold: "5"}', 'http.login_attempts_threshold must be integer'],
    ['http: {ip_ban_enabled: "yes"}', 'http.ip_ban_enabled must be boolean'],
    ['http: {server_port: 8123}', 'http: unknown key server_port'],
  ])('refuses %j, naming the field', (text, message) => {
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(AuthConfigError);
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(message);
  });
});

describe('the configuration file: trusted_networks and reverse proxies', () => {
  const userId = '0123456789ab4def8123456789abcdef';

  it('reads trusted_networks providers with their keys, normalized, in the file order', () => {
    const text = [
      'auth_providers:',
      '  - type: trusted_networks',
      '    trusted_networks: [192.168.0.0/24, "FD00::/8", 10.1.2.3]',
      '    trusted_users:',
      `      192.168.0.10: [${userId.toUpperCase()}, {group: system-users}, {group: [a, b]}]`,
      `      10.0.0.0/8: ${userId}`,
      '    allow_bypass_login: true',
      '  - type: trusted_networks',
      '    id: lan',
      '    name: Home network',
      '    trusted_networks: 192.168.1.0/24',
      '  - type: homeassistant',
    ].join('\n');
    expect(parseAuthConfig(text, 'test.yaml').authProviders).toEqual([
      {
        type: 'trusted_networks',
        id: null,
        name: null,
        trustedNetworks: ['192.168.0.0/24', 'fd00::/8', '10.1.2.3/32'],
        trustedUsers: [
          { network: '192.168.0.10/32', userIds: [userId], groupIds: ['system-users', 'a', 'b'] },
          { network: '10.0.0.0/8', userIds: [userId], groupIds: [] },
        ],
        allowBypassLogin: true,
      },
      { type: 'trusted_networks', id: 'lan', name: 'Home network', trustedNetworks: ['192.168.1.0/24'], trustedUsers: [], allowBypassLogin: false },
      { type: 'homeassistant', name: null },
    ]);
  });

  it("reads http's use_x_forwarded_for and trusted_proxies; off and none by default", () => {
    expect(loadAuthConfig(null).reverseProxy).toEqual({ useXForwardedFor: false, trustedProxies: [] });
    const text = 'http: {use_x_forwarded_for: true, trusted_proxies: 172.30.33.0/24, login_attempts_threshold: 5}';
    const config = parseAuthConfig(text, 'test.yaml');
    expect(config.reverseProxy).toEqual({ useXForwardedFor: true, trustedProxies: ['172.30.33.0/24'] });
    expect(config.http).toEqual({ ipBanEnabled: true, loginAttemptsThreshold: 5 });
  });

  const tn = (keys: string) => `auth_providers: [{type: trusted_networks, ${keys}}]`;
  it.each([
    ['auth_providers: [{type: insecure_example}]', 'auth_providers[0].type must be one of homeassistant, trusted_networks'],
    ['auth_providers: [{type: homeassistant, id: x}]', 'auth_providers[0]: ID is not allowed for the homeassistant auth provider.'],
    ['auth_providers: [{type: trusted_networks}]', "auth_providers[0] must have required property 'trusted_networks'"],
    [tn('trusted_networks: 192.168.0.1/24'), 'auth_providers[0].trusted_networks[0]: 192.168.0.1/24 has host bits set'],
    [tn('trusted_networks: [lan]'), 'auth_providers[0].trusted_networks[0]: lan is not an IP network'],
    [tn('trusted_networks: [], users: []'), 'auth_providers[0]: unknown key users'],
    [tn('trusted_networks: [], allow_bypass_login: "yes"'), 'auth_providers[0].allow_bypass_login must be boolean'],
    [tn('trusted_networks: [], trusted_users: {"10.0.0.0/8": [alice]}'), 'auth_providers[0].trusted_users["10.0.0.0/8"][0] must be a user id'],
    [tn('trusted_networks: [], trusted_users: {"10.0.0.0/8": [{group: 7}]}'), '.group must be a group id or a list of group ids'],
    [tn('trusted_networks: [], trusted_users: {"10.0.0.1/8": []}'), 'auth_providers[0].trusted_users["10.0.0.1/8"]: 10.0.0.1/8 has host bits set'],
    [
      'auth_providers: [{type: trusted_networks, trusted_networks: []}, {type: trusted_networks, trusted_networks: []}]',
      'auth_providers: Duplicate auth provider trusted_networks found. Please add unique IDs',
    ],
    ['auth_providers: [{type: homeassistant}, {type: homeassistant}]', 'Duplicate auth provider homeassistant found'],
    ['http: {use_x_forwarded_for: true}', 'http: use_x_forwarded_for and trusted_proxies go together'],
    ['http: {trusted_proxies: [10.0.0.0/8]}', 'http: use_x_forwarded_for and trusted_proxies go together'],
    ['http: {use_x_forwarded_for: true, trusted_proxies: [proxy]}', 'http.trusted_proxies[0]: proxy is not an IP network'],
    ['http: {use_x_forwarded_for: 1, trusted_proxies: []}', 'http.use_x_forwarded_for must be boolean'],
  ])('refuses %j, naming the field', (text, message) => {
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(AuthConfigError);
    expect(() => parseAuthConfig(text, 'test.yaml')).toThrow(message);
  });
});
