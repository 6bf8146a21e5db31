/**
 * The `homeassistant` provider as the login flow sees it: its `init` form (username and password,
 * ha-auth-spec §5.3) and the credential a correct password proves. The credential is the stored one
 * for that (normalized) username, or a new, unlinked one (`async_get_or_create_credentials`).
 */
import type { LoginCredential } from '../../machines/credential.js';
import { newId } from '../domain/ids.js';
import type { UserStore } from '../stores/types.js';
import { normalizeUsername, type HomeAssistantProvider } from './homeassistant-provider.js';
import type { LoginProvider } from './login-flows.js';

/** `DEFAULT_TITLE` of homeassistant/auth/providers/homeassistant.py. */
export const HOMEASSISTANT_PROVIDER_TITLE = 'Home Assistant Local';

export function homeAssistantLoginProvider(provider: HomeAssistantProvider, users: UserStore): LoginProvider {
  return {
    type: 'homeassistant',
    id: null,
    name: HOMEASSISTANT_PROVIDER_TITLE,
    supportsMfa: true,
    initForm: {
      fields: [
        { type: 'string', name: 'username', required: true },
        { type: 'string', name: 'password', required: true },
      ],
      schema: { fields: { username: { type: 'str', required: true }, password: { type: 'str', required: true } } },
    },
    async checkCredentials(input): Promise<LoginCredential | null> {
      const { username, password } = input as { username: string; password: string };
      if (!(await provider.validateLogin(username, password))) return null;
      const lookupKey = normalizeUsername(username);
      const stored = await users.findCredential('homeassistant', null, lookupKey);
      if (stored !== null) {
        const { id, authProviderType, authProviderId, data } = stored;
        return { id, authProviderType, authProviderId, data, lookupKey };
      }
      return { id: newId(), authProviderType: 'homeassistant', authProviderId: null, data: { username: lookupKey }, lookupKey };
    },
  };
}
