/**
 * How `hass-auth token list` shows a refresh token: one line of tab-separated fields,
 *
 *   [USERNAME] ID TYPE CLIENT CREATED_AT LAST_USED_AT LAST_USED_IP EXPIRE_AT
 *
 * CLIENT is the client_id, else the client_name (long-lived tokens), else `-`; times are ISO-8601
 * UTC, `never` for a token never used or without expiry; `-` for no IP. There is no secret to
 * show: the store keeps only the SHA-256 of each refresh-token secret (ARCHITECTURE.md, "Secrets at
 * rest"), and the jwt_key is never printed.
 */
import type { RefreshTokenContext } from '../../machines/refresh-token.js';
import type { UserStore } from '../stores/types.js';
import type { Credential } from '../domain/models.js';

/** A user whose tokens are listed, named by the username it logs in with. */
export interface TokenOwner {
  userId: string;
  label: string;
}

/**
 * Free text (a long-lived token's client_name, a username) may hold tabs or newlines: they are
 * shown escaped so that each token stays one line of fields.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export function tokenLine(token: RefreshTokenContext): string {
  return [
    token.id,
    token.tokenType,
    printable(token.clientId ?? token.clientName ?? '-'),
    iso(token.createdAt),
    token.lastUsedAt === null ? 'never' : iso(token.lastUsedAt),
    printable(token.lastUsedIp ?? '-'),
    token.expireAt === null ? 'never' : iso(token.expireAt),
  ].join('\t');
}

const isHomeAssistantLogin = (credential: Credential) =>
  credential.authProviderType === 'homeassistant' && credential.authProviderId === null;

/**
 * Every user, named by the username of its `homeassistant` credential (users are found through
 * their credentials), sorted by that name; a user without one is shown as `(user ID)`.
 */
export async function allTokenOwners(users: UserStore): Promise<TokenOwner[]> {
  const owners = await Promise.all(
    (await users.listUsers()).map(async (user): Promise<TokenOwner> => {
      const credential = (await users.listCredentials(user.id)).find(isHomeAssistantLogin);
      const username = credential === undefined ? undefined : (credential.data.username ?? credential.lookupKey);
      return { userId: user.id, label: username === undefined ? `(user ${user.id})` : printable(username) };
    }),
  );
  return owners.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** A user's live tokens, oldest first. */
export function byCreation(tokens: RefreshTokenContext[]): RefreshTokenContext[] {
  return [...tokens].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}
