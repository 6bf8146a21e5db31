/**
 * The `trusted_networks` provider (homeassistant/auth/providers/trusted_networks.py, ha-auth-spec
 * §14.2): a client on a trusted network logs in by choosing a user, without a password.
 *
 *   POST /auth/login_flow {"handler": ["trusted_networks", null], …}
 *     → {"type": "form", "step_id": "init", "errors": null,
 *        "data_schema": [{"type": "select", "options": [["<user id>", "Alice"], …], "name": "user", "required": true}], …}
 *     → {"type": "abort", "reason": "not_allowed", …}   (from anywhere else: nothing is stored)
 *     → {"type": "create_entry", "result": "<code>", …}  (`allow_bypass_login` and exactly one user offered)
 *   POST /auth/login_flow/{flow_id} {"client_id": "…", "user": "<user id>"} → create_entry
 *
 * Who may: `async_validate_access(ip)` refuses with "trusted_networks is not configured" (an empty
 * list), "Not in trusted_networks", or "Can't allow access from a proxy server" (an address of
 * `http: trusted_proxies`); there is no Home Assistant Cloud here. The same check decides whether
 * `/auth/providers` lists the provider (an outsider does not learn it exists), runs again when the
 * `init` step is submitted, and on every use of a refresh token this login produced (token-endpoint.ts).
 *
 * Whom: active, not system-generated users, narrowed by the first `trusted_users` network (in the
 * file's order) that holds the client to the listed users and the members of the listed groups
 * (Home Assistant's intent; its own group entries never match, §16.2 #16). The list is fixed when
 * the flow starts (login flow context `userChoices`), as Home Assistant fixes the form. The provider
 * never creates users and has no MFA (`support_mfa = False`); the credential `{"user_id": …}` is
 * created and linked to the chosen user when the step is submitted, as Home Assistant does.
 */
import type { LoginCredential } from '../../../machines/credential.js';
import type { TrustedNetworksProviderConfig } from '../../auth-providers-config.js';
import { newId } from '../../domain/ids.js';
import { inAnyNetwork, ipNetwork, type IpNetwork } from '../../domain/ip-network.js';
import { validate, type Schema } from '../../domain/voluptuous.js';
import type { UserStore } from '../../stores/types.js';
import type { Credential } from '../../domain/models.js';
import type { LoginProvider } from '../login/login-flows.js';

/** `DEFAULT_TITLE` of trusted_networks.py. */
export const TRUSTED_NETWORKS_TITLE = 'Trusted Networks';
const TYPE = 'trusted_networks';
/** The text of the `InvalidAuthError` a refresh without a request address gets. */
export const UNKNOWN_REMOTE_IP = "Unknown remote ip can't be used for trusted network provider.";

/** The keys of the step's input; the value is checked against the flow's choices. */
const SCHEMA: Schema = { fields: { user: { type: 'any', required: true } } };

interface Deps {
  users: UserStore;
  /** `http: trusted_proxies`: a login is never allowed from one of them. */
  trustedProxies: readonly IpNetwork[];
}

const asLoginCredential = ({ id, authProviderType, authProviderId, data, lookupKey }: Credential): LoginCredential => ({
  id,
  authProviderType,
  authProviderId,
  data,
  lookupKey,
});

export function trustedNetworksLoginProvider(config: TrustedNetworksProviderConfig, { users, trustedProxies }: Deps): LoginProvider {
  const networks = config.trustedNetworks.map(ipNetwork);
  const trustedUsers = config.trustedUsers.map((entry) => ({ ...entry, network: [ipNetwork(entry.network)] }));

  /** `async_validate_access`: why a login from `ip` is refused, or null when it is allowed. */
  function accessRefusal(ip: string): string | null {
    if (networks.length === 0) return 'trusted_networks is not configured';
    if (!inAnyNetwork(ip, networks)) return 'Not in trusted_networks';
    if (inAnyNetwork(ip, trustedProxies)) return "Can't allow access from a proxy server";
    return null;
  }

  /** The users offered to a client at `ip` (`async_login_flow`), oldest first, as `[id, name]`. */
  async function userChoicesFor(ip: string): Promise<Array<[string, string | null]>> {
    const candidates = (await users.listUsers())
      .filter((user) => !user.systemGenerated && user.isActive)
      .sort((a, b) => a.createdAt - b.createdAt);
    const entry = trustedUsers.find(({ network }) => inAnyNetwork(ip, network));
    const offered =
      entry === undefined
        ? candidates
        : candidates.filter((user) => entry.userIds.includes(user.id) || user.groupIds.some((group) => entry.groupIds.includes(group)));
    return offered.map((user) => [user.id, user.name]);
  }

  /**
   * `async_get_or_create_credentials`: the user's credential of this provider, made and linked on
   * first use; null when the user is gone, inactive or system-generated (Home Assistant raises
   * `InvalidUserError`, a 500).
   */
  async function credentialOf(userId: string): Promise<LoginCredential | null> {
    const user = await users.getUser(userId);
    if (user === null || user.systemGenerated || !user.isActive) return null;
    const stored = await users.findCredential(TYPE, config.id, userId);
    if (stored !== null) return asLoginCredential(stored);
    const credential = { id: newId(), authProviderType: TYPE, authProviderId: config.id, data: { user_id: userId }, lookupKey: userId };
    if (await users.addCredential({ ...credential, userId })) return credential;
    // Another instance linked one first: use it.
    const winner = await users.findCredential(TYPE, config.id, userId);
    return winner === null ? null : asLoginCredential(winner);
  }

  return {
    type: TYPE,
    id: config.id,
    name: config.name ?? TRUSTED_NETWORKS_TITLE,
    supportsMfa: false,
    isOfferedTo: (ip) => accessRefusal(ip) === null,

    async begin(ip) {
      if (accessRefusal(ip) !== null) return { kind: 'abort', reason: 'not_allowed' };
      const userChoices = await userChoicesFor(ip);
      const only = userChoices.length === 1 ? userChoices[0] : undefined;
      if (config.allowBypassLogin && only !== undefined) {
        const credential = await credentialOf(only[0]);
        if (credential !== null) return { kind: 'finish', credential };
      }
      return { kind: 'form', userChoices };
    },

    initForm: (flow) => ({
      fields: [{ type: 'select', options: flow.userChoices ?? [], name: 'user', required: true }],
      errors: null,
    }),

    async submit(flow, input) {
      // The flow manager checks the form's schema (`vol.In` of the users offered) before the step runs.
      const { user } = input;
      const offered = (flow.userChoices ?? []).some(([id]) => id === user);
      if (!validate(SCHEMA, input).ok || typeof user !== 'string' || !offered) return { kind: 'malformed' };
      if (accessRefusal(flow.ipAddress) !== null) return { kind: 'abort', reason: 'not_allowed' };
      const credential = await credentialOf(user);
      return credential === null ? { kind: 'abort', reason: 'not_allowed' } : { kind: 'accepted', credential };
    },

    refreshRefusal: (ip) => (ip === null ? UNKNOWN_REMOTE_IP : accessRefusal(ip)),
  };
}
