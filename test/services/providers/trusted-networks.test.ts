/**
 * The trusted_networks provider's checks where HTTP cannot reach them (ha-auth-spec §14.2): a
 * refresh without a request address, and the provider of a token found by its key `(type, id)`.
 */
import { describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../../../src/auth-config.js';
import { authProviders } from '../../../src/services/providers/auth-providers.js';
import { createHomeAssistantProvider } from '../../../src/services/providers/password-store.js';
import { UNKNOWN_REMOTE_IP } from '../../../src/services/providers/trusted-networks.js';
import { openSqliteStore } from '../../../src/stores/sqlite/sqlite-store.js';

function providersOf(text: string) {
  const store = openSqliteStore({ dataDir: ':memory:', clock: () => 0 });
  const config = parseAuthConfig(text, 'test.yaml');
  const passwords = createHomeAssistantProvider(store.users, { rounds: 4 });
  return authProviders(config.authProviders, { passwords, users: store.users, trustedProxies: config.reverseProxy.trustedProxies });
}

const CONFIG = `
auth_providers:
  - type: homeassistant
  - type: trusted_networks
    id: lan
    trusted_networks: [192.168.0.0/24]
http: {use_x_forwarded_for: true, trusted_proxies: [192.168.0.1]}
`;
const LAN_LOGIN = { authProviderType: 'trusted_networks', authProviderId: 'lan' };

describe('the providers a token is checked against', () => {
  const providers = providersOf(CONFIG);

  it.each([
    ['192.168.0.7', null],
    ['::ffff:192.168.0.7', null],
    ['192.168.1.7', 'Not in trusted_networks'],
    ['192.168.0.1', "Can't allow access from a proxy server"],
    ['not an ip', 'Not in trusted_networks'],
    [null, UNKNOWN_REMOTE_IP],
  ])('asks trusted_networks about a use from %s: %s', (ip, reason) => {
    expect(providers.refusal(LAN_LOGIN, ip)).toBe(reason);
  });

  it('finds the provider by (type, id), and refuses one that is not configured', () => {
    expect(providers.refusal({ authProviderType: 'trusted_networks', authProviderId: null }, '192.168.0.7')).toBe(
      'Auth provider trusted_networks, None not available',
    );
    expect(providers.refusal({ authProviderType: 'homeassistant', authProviderId: null }, null)).toBeNull();
    expect(providers.refusal(null, '8.8.8.8')).toBeNull();
  });

  it('says "Unknown remote ip …" with Home Assistant\'s words', () => {
    expect(UNKNOWN_REMOTE_IP).toBe("Unknown remote ip can't be used for trusted network provider.");
  });
});
