/**
 * `auth_providers` of the configuration file (auth-config.ts), with Home Assistant's keys
 * (homeassistant/auth/providers/*.py, ha-auth-spec §14):
 *
 *   auth_providers:
 *     - type: homeassistant           # no `id` ("ID is not allowed for the homeassistant auth provider.")
 *     - type: trusted_networks
 *       id: lan                       # optional; needed only to list trusted_networks twice
 *       name: Home network            # optional; default "Trusted Networks"
 *       trusted_networks:             # required: addresses or networks (a single one without a list)
 *         - 192.168.0.0/24
 *         - fd00::/8
 *       trusted_users:                # optional: per network (the first that holds the client wins)
 *         192.168.0.10:               # the users offered from there: user ids and groups
 *           - 0123456789ab4def8123456789abcdef
 *           - group: system-users
 *       allow_bypass_login: false     # log in at once when exactly one user is offered
 *
 * A provider is known by `(type, id)`; two with the same key are refused, as Home Assistant refuses
 * them. A `{group: …}` entry of `trusted_users` matches the users of that group (or of any of a list
 * of groups), which is what Home Assistant means but, as written, never does (ha-auth-spec §16.2 #16).
 */
import { formatIpNetwork, parseIpNetwork } from './domain/ip-network.js';

export interface HomeAssistantProviderConfig {
  type: 'homeassistant';
  name: string | null;
}

/** One `trusted_users` entry: the network, and the user ids and group ids it offers. */
export interface TrustedUsersEntry {
  network: string;
  userIds: string[];
  groupIds: string[];
}

export interface TrustedNetworksProviderConfig {
  type: 'trusted_networks';
  id: string | null;
  name: string | null;
  /** Normalized networks (`192.168.0.0/24`), in the file's order. */
  trustedNetworks: string[];
  /** In the file's order: the first entry whose network holds the client decides. */
  trustedUsers: TrustedUsersEntry[];
  allowBypassLogin: boolean;
}

export type AuthProviderConfig = HomeAssistantProviderConfig | TrustedNetworksProviderConfig;

const providerWithType = (type: string) => ({ required: ['type'], properties: { type: { const: type } } });

/** The JSON schema of the list (ajv); what a schema cannot say is checked by `readAuthProviders`. */
export const authProvidersSchema = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['type'],
    properties: {
      type: { enum: ['homeassistant', 'trusted_networks'] },
      name: { type: 'string', minLength: 1 },
      id: { type: 'string', minLength: 1 },
    },
    allOf: [
      {
        if: providerWithType('homeassistant'),
        then: { additionalProperties: false, properties: { type: true, name: true, id: true } },
      },
      {
        if: providerWithType('trusted_networks'),
        then: {
          required: ['trusted_networks'],
          additionalProperties: false,
          properties: {
            type: true,
            name: true,
            id: true,
            trusted_networks: true,
            trusted_users: { type: 'object' },
            allow_bypass_login: { type: 'boolean' },
          },
        },
      },
    ],
  },
} as const;

export interface RawAuthProvider {
  type: 'homeassistant' | 'trusted_networks';
  name?: string;
  id?: string;
  trusted_networks?: unknown;
  trusted_users?: Record<string, unknown>;
  allow_bypass_login?: boolean;
}

/** A configuration value that the schema let through but Home Assistant refuses; the message names the field. */
export class ProviderConfigError extends Error {
  override readonly name = 'ProviderConfigError';
}

/** `cv.ensure_list`: one value stands for a list of one. */
const ensureList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function networkAt(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ProviderConfigError(`${where} must be an IP address or network`);
  const network = parseIpNetwork(value);
  if ('error' in network) throw new ProviderConfigError(`${where}: ${network.error}`);
  return formatIpNetwork(network);
}

/** A list of networks (`[ip_network]` after `cv.ensure_list`), normalized; `where` names it in errors. */
export function readNetworks(value: unknown, where: string): string[] {
  return ensureList(value).map((item, index) => networkAt(item, `${where}[${index}]`));
}

/** `cv.uuid4_hex`: what `uuid4().hex` gives (Home Assistant's user ids), in either case. */
const UUID4_HEX = /^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/i;

function groupIdsOf(value: unknown, where: string): string[] {
  const groups = ensureList(value);
  if (!groups.every((group) => typeof group === 'string' && group !== '')) {
    throw new ProviderConfigError(`${where}.group must be a group id or a list of group ids`);
  }
  return groups as string[];
}

function trustedUsersEntry(networkText: string, value: unknown, where: string): TrustedUsersEntry {
  const at = `${where}[${JSON.stringify(networkText)}]`;
  const entry: TrustedUsersEntry = { network: networkAt(networkText, at), userIds: [], groupIds: [] };
  ensureList(value).forEach((item, index) => {
    if (typeof item === 'string' && UUID4_HEX.test(item)) entry.userIds.push(item.toLowerCase());
    else if (typeof item === 'object' && item !== null && !Array.isArray(item) && Object.keys(item).join() === 'group') {
      entry.groupIds.push(...groupIdsOf((item as { group: unknown }).group, `${at}[${index}]`));
    } else {
      throw new ProviderConfigError(`${at}[${index}] must be a user id (a version-4 UUID in hex) or {group: <group id>}`);
    }
  });
  return entry;
}

function trustedNetworksProvider(raw: RawAuthProvider, where: string): TrustedNetworksProviderConfig {
  return {
    type: 'trusted_networks',
    id: raw.id ?? null,
    name: raw.name ?? null,
    trustedNetworks: readNetworks(raw.trusted_networks, `${where}.trusted_networks`),
    trustedUsers: Object.entries(raw.trusted_users ?? {}).map(([network, users]) =>
      trustedUsersEntry(network, users, `${where}.trusted_users`),
    ),
    allowBypassLogin: raw.allow_bypass_login ?? false,
  };
}

/** The providers of a list that passed `authProvidersSchema`; throws ProviderConfigError. */
export function readAuthProviders(raw: RawAuthProvider[]): AuthProviderConfig[] {
  const providers = raw.map((item, index): AuthProviderConfig => {
    const where = `auth_providers[${index}]`;
    if (item.type === 'trusted_networks') return trustedNetworksProvider(item, where);
    if (item.id !== undefined) throw new ProviderConfigError(`${where}: ID is not allowed for the homeassistant auth provider.`);
    return { type: 'homeassistant', name: item.name ?? null };
  });
  const keys = new Set<string>();
  for (const provider of providers) {
    const key = JSON.stringify([provider.type, provider.type === 'homeassistant' ? null : provider.id]);
    if (keys.has(key)) {
      throw new ProviderConfigError(
        `auth_providers: Duplicate auth provider ${provider.type} found. Please add unique IDs if you want to have the same auth provider twice`,
      );
    }
    keys.add(key);
  }
  return providers;
}
