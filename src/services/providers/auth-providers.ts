/**
 * The configured auth providers (`auth_providers`, in the file's order; homeassistant/auth/__init__.py
 * `auth_providers`), each known by its key `(type, id)`, and what a provider says about a refresh
 * token of its logins (`AuthManager.async_validate_refresh_token`, run whenever an access token is
 * minted: the code grant and every refresh, ha-auth-spec §6.1 and §6.5).
 */
import type { AuthProviderConfig } from '../../auth-providers-config.js';
import { ipNetwork } from '../../domain/ip-network.js';
import type { UserStore } from '../../stores/types.js';
import { homeAssistantLoginProvider } from './homeassistant-login.js';
import type { HomeAssistantProvider } from './password-store.js';
import type { LoginProvider } from '../login/login-flows.js';
import { trustedNetworksLoginProvider } from './trusted-networks.js';

/** What names a credential's provider. */
export interface ProviderKey {
  authProviderType: string;
  authProviderId: string | null;
}

export interface AuthProviders {
  login: LoginProvider[];
  /**
   * Why the provider of a token's credential refuses its use from `ip` (the trusted_networks IP
   * check), or null. A token without a credential (long-lived, system) has no provider to ask.
   */
  refusal(credential: ProviderKey | null, ip: string | null): string | null;
}

interface Deps {
  passwords: HomeAssistantProvider;
  users: UserStore;
  /** `http: trusted_proxies` (normalized networks). */
  trustedProxies: string[];
}

export function authProviders(configs: AuthProviderConfig[], { passwords, users, trustedProxies }: Deps): AuthProviders {
  const proxies = trustedProxies.map(ipNetwork);
  const login = configs.map((config) =>
    config.type === 'homeassistant'
      ? homeAssistantLoginProvider(passwords, users, config.name)
      : trustedNetworksLoginProvider(config, { users, trustedProxies: proxies }),
  );
  return {
    login,
    refusal(credential, ip) {
      if (credential === null) return null;
      const { authProviderType: type, authProviderId: id } = credential;
      const provider = login.find((candidate) => candidate.type === type && candidate.id === id);
      // Home Assistant raises `InvalidProvider` here (a 500); refusing keeps a removed provider's logins out.
      if (provider === undefined) return `Auth provider ${type}, ${id ?? 'None'} not available`;
      return provider.refreshRefusal(ip);
    },
  };
}
