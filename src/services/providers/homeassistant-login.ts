/**
 * The `homeassistant` provider as the login flow sees it: its `init` form (username and password,
 * ha-auth-spec §5.3) and the credential a correct password proves. The credential is the stored one
 * for that (normalized) username, or a new, unlinked one (`async_get_or_create_credentials`).
 */
import type { LoginCredential } from '../../../machines/credential.js';
import { newId } from '../../domain/ids.js';
import { validate, type Schema } from '../../domain/voluptuous.js';
import type { UserStore } from '../../stores/types.js';
import { normalizeUsername, type HomeAssistantProvider } from './password-store.js';
import type { LoginProvider } from '../login/login-flows.js';

/** `DEFAULT_TITLE` of homeassistant/auth/providers/homeassistant.py. */
export const HOMEASSISTANT_PROVIDER_TITLE = 'Home Assistant Local';

const FIELDS = [
  { type: 'string', name: 'username', required: true },
  { type: 'string', name: 'password', required: true },
] as const;
const SCHEMA: Schema = { fields: { username: { type: 'str', required: true }, password: { type: 'str', required: true } } };

/** `name`: the configured one (`auth_providers[].name`), else the default title. */
export function homeAssistantLoginProvider(provider: HomeAssistantProvider, users: UserStore, name: string | null = null): LoginProvider {
  async function credentialOf(username: string, password: string): Promise<LoginCredential | null> {
    if (!(await provider.validateLogin(username, password))) return null;
    const lookupKey = normalizeUsername(username);
    const stored = await users.findCredential('homeassistant', null, lookupKey);
    if (stored !== null) {
      const { id, authProviderType, authProviderId, data } = stored;
      return { id, authProviderType, authProviderId, data, lookupKey };
    }
    return { id: newId(), authProviderType: 'homeassistant', authProviderId: null, data: { username: lookupKey }, lookupKey };
  }

  return {
    type: 'homeassistant',
    id: null,
    name: name ?? HOMEASSISTANT_PROVIDER_TITLE,
    supportsMfa: true,
    isOfferedTo: () => true,
    begin: () => Promise.resolve({ kind: 'form', userChoices: null }),
    initForm: (flow) => {
      const errors: Record<string, string> = flow.error === null ? {} : { base: flow.error };
      return { fields: FIELDS.map((field) => ({ ...field })), errors };
    },
    async submit(_flow, input) {
      if (!validate(SCHEMA, input).ok) return { kind: 'malformed' };
      const { username, password } = input as { username: string; password: string };
      const credential = await credentialOf(username, password);
      return credential === null ? { kind: 'rejected' } : { kind: 'accepted', credential };
    },
    refreshRefusal: () => null,
  };
}
