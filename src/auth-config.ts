/**
 * The configuration file (`CONFIG_FILE`, YAML): what Home Assistant keeps under `homeassistant:` in
 * its configuration.yaml for authentication (`auth_providers`, `auth_mfa_modules`, ha-auth-spec
 * §14), and the per-client refresh-token policy that Home Assistant does not have. Validated once at
 * start (ajv); a bad file stops the service with a message naming the file and the field.
 *
 *   auth_providers:                 # default: [{type: homeassistant}]
 *     - type: homeassistant
 *     - type: trusted_networks      # and its keys: auth-providers-config.ts
 *       trusted_networks: [192.168.0.0/24]
 *   auth_mfa_modules:               # default: [{type: totp, id: totp, name: Authenticator app}]
 *     - type: totp
 *   redirect_uri_discovery:
 *     allow_private_addresses: false  # let the client_id fetch reach loopback/private addresses
 *   password_checks:                # the bcrypt queue (services/providers/password-checks.ts); defaults from the machine
 *     concurrency: 1                # checks at once; default max(1, min(cores - 1, libuv pool threads - 1))
 *     queue_size: 4                 # checks waiting; default 4 x concurrency; more get 429
 *   login_flows:
 *     max_open_per_address: 100     # open login flows per client (IPv4 address, IPv6 /64); more get 429
 *   http:                           # Home Assistant's `http:` keys for failed logins (ha-auth-spec §11)
 *     ip_ban_enabled: true          # refuse banned addresses (403) and count 401s; default true
 *     login_attempts_threshold: -1  # failed logins that ban an address; -1 (default) or 0: never ban
 *     use_x_forwarded_for: false    # take the client's address from X-Forwarded-For (http/forwarded.ts)
 *     trusted_proxies: []           # from these peers only; both keys or neither, as in Home Assistant
 *   clients:                        # refresh-token policy per client_id; absent: no rotation
 *     "https://app.example/":
 *       refresh_token_rotation: true
 *       grace_period: 60            # seconds an exchanged token may be presented again (default 60)
 *       family_lifetime: 2592000    # seconds a rotating family lives at most (default: no limit)
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import {
  authProvidersSchema,
  ProviderConfigError,
  readAuthProviders,
  readNetworks,
  type AuthProviderConfig,
  type RawAuthProvider,
} from './auth-providers-config.js';

export type { AuthProviderConfig } from './auth-providers-config.js';

export interface MfaModuleConfig {
  type: 'totp';
  id: string;
  name: string;
}

/** How a client's refresh tokens behave (RFC 9700 §4.14: a public client's must rotate or be sender-constrained). */
export interface ClientPolicy {
  /** Off by default: Home Assistant's frontend keeps its first refresh token forever. */
  rotateRefreshTokens: boolean;
  /** How long an exchanged token may be presented again (a lost response, two tabs), in ms. */
  graceMs: number;
  /** The longest a rotating family lives, from its first token, in ms; null: no limit. */
  familyLifetimeMs: number | null;
}

export interface AuthConfig {
  /** Where it was read: `CONFIG_FILE <path>`, or `defaults` when CONFIG_FILE is unset (log lines name it). */
  source: string;
  authProviders: AuthProviderConfig[];
  mfaModules: MfaModuleConfig[];
  /** IndieAuth discovery (services/login/redirect-discovery.ts): whether it may fetch private addresses. */
  discovery: { allowPrivateAddresses: boolean };
  /** The bcrypt queue's limits (services/providers/password-checks.ts); null: the machine's default. */
  passwordChecks: { concurrency: number | null; queueSize: number | null };
  /** Login flows one client may have open at once (services/login/login-flows.ts). */
  loginFlows: { maxOpenPerAddress: number };
  /** The policy of a client id; every client without an entry gets `DEFAULT_CLIENT_POLICY`. */
  clientPolicy: (clientId: string | null) => ClientPolicy;
  /** Failed-login accounting and IP bans (services/bans/login-attempts.ts), Home Assistant's keys and defaults. */
  http: { ipBanEnabled: boolean; loginAttemptsThreshold: number };
  /** `http:` `use_x_forwarded_for` and `trusted_proxies` (normalized networks): http/forwarded.ts. */
  reverseProxy: { useXForwardedFor: boolean; trustedProxies: string[] };
}

/**
 * An abandoned flow holds its slot for its hour: a hundred login pages opened and left within an hour
 * behind one address (a household or an office behind one NAT) is far beyond use, while a client
 * that starts flows without end holds a hundred records, not one per request (docs/configuration.md, "Anonymous writes").
 */
export const DEFAULT_MAX_OPEN_FLOWS_PER_ADDRESS = 100;

export const DEFAULT_CLIENT_POLICY: ClientPolicy = { rotateRefreshTokens: false, graceMs: 60_000, familyLifetimeMs: null };

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    auth_providers: authProvidersSchema,
    auth_mfa_modules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        additionalProperties: false,
        properties: { type: { enum: ['totp'] }, id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 } },
      },
    },
    redirect_uri_discovery: {
      type: 'object',
      additionalProperties: false,
      properties: { allow_private_addresses: { type: 'boolean' } },
    },
    password_checks: {
      type: 'object',
      additionalProperties: false,
      properties: { concurrency: { type: 'integer', minimum: 1 }, queue_size: { type: 'integer', minimum: 0 } },
    },
    login_flows: {
      type: 'object',
      additionalProperties: false,
      properties: { max_open_per_address: { type: 'integer', minimum: 1 } },
    },
    // Home Assistant: `vol.Any(cv.positive_int, NO_LOGIN_ATTEMPT_THRESHOLD)`, i.e. -1 or 0 and up.
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ip_ban_enabled: { type: 'boolean' },
        login_attempts_threshold: { type: 'integer', minimum: -1 },
        use_x_forwarded_for: { type: 'boolean' },
        trusted_proxies: true,
      },
    },
    clients: {
      type: 'object',
      propertyNames: { pattern: '^https?://' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          refresh_token_rotation: { type: 'boolean' },
          grace_period: { type: 'integer', minimum: 0, maximum: 3600 },
          family_lifetime: { type: 'integer', minimum: 60 },
        },
      },
    },
  },
} as const;

interface RawConfig {
  auth_providers?: RawAuthProvider[];
  auth_mfa_modules?: Array<{ type: 'totp'; id?: string; name?: string }>;
  clients?: Record<string, { refresh_token_rotation?: boolean; grace_period?: number; family_lifetime?: number }>;
  redirect_uri_discovery?: { allow_private_addresses?: boolean };
  password_checks?: { concurrency?: number; queue_size?: number };
  login_flows?: { max_open_per_address?: number };
  http?: { ip_ban_enabled?: boolean; login_attempts_threshold?: number; use_x_forwarded_for?: boolean; trusted_proxies?: unknown };
}

export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
}

const validateRaw = new Ajv({ allErrors: false }).compile<RawConfig>(schema);

/** A JSON pointer as the YAML reads: `clients["https://app.example/"].grace_period`, `auth_providers[0].type`. */
function fieldPath(pointer: string): string {
  const steps = pointer.split('/').slice(1).map((step) => step.replaceAll('~1', '/').replaceAll('~0', '~'));
  return steps
    .map((step, index) => {
      if (/^\d+$/.test(step)) return `[${step}]`;
      if (/^[A-Za-z_]\w*$/.test(step)) return index === 0 ? step : `.${step}`;
      return `[${JSON.stringify(step)}]`;
    })
    .join('');
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'the file' : fieldPath(error.instancePath);
  if (error.propertyName !== undefined) return `${where}: ${JSON.stringify(error.propertyName)} is not an http(s) client id`;
  if (error.keyword === 'additionalProperties') return `${where}: unknown key ${String(error.params.additionalProperty)}`;
  if (error.keyword === 'enum') return `${where} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** Duplicates of a type need distinct ids (HA's `_check_mfa_modules`). */
function checkUniqueIds(modules: MfaModuleConfig[], source: string): void {
  const seen = new Set<string>();
  for (const { id } of modules) {
    if (seen.has(id)) throw new AuthConfigError(`${source}: auth_mfa_modules: two modules with the id ${id}`);
    seen.add(id);
  }
}

/** The configuration in `text` (YAML); `source` names it in errors. */
export function parseAuthConfig(text: string, source: string): AuthConfig {
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (error) {
    throw new AuthConfigError(`${source}: not YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!validateRaw(raw)) throw new AuthConfigError(`${source}: ${describe((validateRaw.errors ?? [])[0] as ErrorObject)}`);
  const { authProviders, reverseProxy } = readProvidersAndProxies(raw, source);
  const mfaModules = (raw.auth_mfa_modules ?? [{ type: 'totp', id: 'totp', name: 'Authenticator app' }]).map(({ type, id, name }) => ({
    type,
    id: id ?? type,
    name: name ?? 'Time-based One Time Password',
  }));
  checkUniqueIds(mfaModules, source);
  const policies = new Map(
    Object.entries(raw.clients ?? {}).map(([clientId, policy]) => [
      clientId,
      {
        rotateRefreshTokens: policy.refresh_token_rotation ?? DEFAULT_CLIENT_POLICY.rotateRefreshTokens,
        graceMs: (policy.grace_period ?? DEFAULT_CLIENT_POLICY.graceMs / 1000) * 1000,
        familyLifetimeMs: policy.family_lifetime === undefined ? null : policy.family_lifetime * 1000,
      },
    ]),
  );
  return {
    source,
    authProviders,
    mfaModules,
    discovery: { allowPrivateAddresses: raw.redirect_uri_discovery?.allow_private_addresses ?? false },
    passwordChecks: { concurrency: raw.password_checks?.concurrency ?? null, queueSize: raw.password_checks?.queue_size ?? null },
    loginFlows: { maxOpenPerAddress: raw.login_flows?.max_open_per_address ?? DEFAULT_MAX_OPEN_FLOWS_PER_ADDRESS },
    clientPolicy: (clientId) => (clientId === null ? undefined : policies.get(clientId)) ?? DEFAULT_CLIENT_POLICY,
    // Home Assistant's defaults, -1 (never ban) included: docs/configuration.md says why it is kept.
    http: {
      ipBanEnabled: raw.http?.ip_ban_enabled ?? true,
      loginAttemptsThreshold: raw.http?.login_attempts_threshold ?? -1,
    },
    reverseProxy,
  };
}

/**
 * `auth_providers`, and `http:`'s proxy keys, which Home Assistant takes together or not at all
 * (`vol.Inclusive(…, "proxy")`).
 */
function readProvidersAndProxies(raw: RawConfig, source: string) {
  const { use_x_forwarded_for: useXForwardedFor, trusted_proxies: trustedProxies } = raw.http ?? {};
  try {
    if ((useXForwardedFor === undefined) !== (trustedProxies === undefined)) {
      throw new ProviderConfigError('http: use_x_forwarded_for and trusted_proxies go together (give both or neither)');
    }
    return {
      authProviders: readAuthProviders(raw.auth_providers ?? [{ type: 'homeassistant' }]),
      reverseProxy: {
        useXForwardedFor: useXForwardedFor ?? false,
        trustedProxies: trustedProxies === undefined ? [] : readNetworks(trustedProxies, 'http.trusted_proxies'),
      },
    };
  } catch (error) {
    if (error instanceof ProviderConfigError) throw new AuthConfigError(`${source}: ${error.message}`);
    throw error;
  }
}

/** The file at `path`, or the defaults when there is none. */
export function loadAuthConfig(path: string | null): AuthConfig {
  if (path === null) return parseAuthConfig('', 'defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AuthConfigError(`CONFIG_FILE ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseAuthConfig(text, `CONFIG_FILE ${path}`);
}
