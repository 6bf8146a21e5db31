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
