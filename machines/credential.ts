/**
 * The login credential a flow establishes and a code stands for (Home Assistant's `Credentials`,
 * homeassistant/auth/models.py). It may not be linked to a user yet (Home Assistant's `is_new`):
 * the user is found or created when the code is exchanged.
 */
export interface LoginCredential {
  id: string;
  authProviderType: string;
  authProviderId: string | null;
  /** Provider data: `{username}` for `homeassistant`, `{user_id}` for `trusted_networks`. */
  data: Record<string, string>;
  /** What identifies the login to its provider (the normalized username, the user id). */
  lookupKey: string;
}
