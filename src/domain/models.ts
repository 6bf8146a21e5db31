/**
 * The domain model: who may log in and with what (Home Assistant's homeassistant/auth/models.py).
 * The stores keep these and the services decide with them; neither layer owns their shape.
 */

/** Home Assistant's `User` (homeassistant/auth/models.py); times are epoch ms. */
export interface User {
  id: string;
  name: string | null;
  isOwner: boolean;
  isActive: boolean;
  systemGenerated: boolean;
  localOnly: boolean;
  groupIds: string[];
  createdAt: number;
}

/** A stored credential, always linked to a user (Home Assistant stores credentials inside users). */
export interface Credential {
  id: string;
  userId: string;
  authProviderType: string;
  authProviderId: string | null;
  /** Provider data, e.g. `{username}` for `homeassistant`, `{user_id}` for `trusted_networks`. */
  data: Record<string, string>;
  /** What identifies the login to its provider (the username, the user id): unique per provider. */
  lookupKey: string;
}

/** An entry of the `homeassistant` provider: the password as Home Assistant stores it (base64 of the bcrypt hash). */
export interface PasswordEntry {
  username: string;
  passwordHash: string;
}
