/**
 * One user's records as the inspection page shows them (`inspect/user`): the user found by id, or by
 * the username of the `homeassistant` provider (normalized as a login normalizes it), with its live
 * refresh tokens, each as `inspect/record` shows a record (record-inspection.ts: state and an
 * allowlisted summary, never a token or its `jwtKey`), and its newest entries in the audit trail,
 * which name the records (tokens, flows, MFA setup flows) the page can then show one by one.
 *
 * The audit trail keeps an index by user (AuditLog.forUser), so this costs a lookup, the user's
 * token list and one bounded read, however long the trail.
 */
import type { AuditEntry, Store } from '../../stores/types.js';
import type { User } from '../../domain/models.js';
import { normalizeUsername } from '../providers/password-store.js';
import { inspectEnvelope, PLAUSIBLE_ID, type InspectedRecord } from './record-inspection.js';

/** How many of the user's newest audit entries the page lists. */
export const USER_HISTORY_LIMIT = 100;

export interface InspectedUser {
  id: string;
  name: string | null;
  /** The `homeassistant` login, when the user has one. */
  username: string | null;
  isOwner: boolean;
  isActive: boolean;
  systemGenerated: boolean;
}

export interface UserLookup {
  /** Null when the user is gone but the audit trail still names it. */
  user: InspectedUser | null;
  /** Live refresh tokens, oldest first. */
  refreshTokens: InspectedRecord[];
  history: AuditEntry[];
}

export interface UserInspectionService {
  /** By user id or `homeassistant` username; null when neither a user nor an audit entry matches. */
  find(query: string): Promise<UserLookup | null>;
}

const createdAt = (record: InspectedRecord) => (typeof record.summary.createdAt === 'number' ? record.summary.createdAt : 0);

export function userInspectionService(store: Store): UserInspectionService {
  /** The user by id; failing that, the user whose `homeassistant` login this is. */
  async function userFor(query: string): Promise<{ id: string; user: User | null }> {
    const byId = PLAUSIBLE_ID.test(query) ? await store.users.getUser(query) : null;
    if (byId !== null) return { id: byId.id, user: byId };
    const credential = await store.users.findCredential('homeassistant', null, normalizeUsername(query));
    if (credential === null) return { id: query, user: null };
    return { id: credential.userId, user: await store.users.getUser(credential.userId) };
  }

  async function usernameOf(userId: string): Promise<string | null> {
    const credentials = await store.users.listCredentials(userId);
    const login = credentials.find((credential) => credential.authProviderType === 'homeassistant');
    return login?.data.username ?? null;
  }

  /** `listByUser` leaves unreadable records out; one whose snapshot cannot be restored is left out too. */
  async function tokensOf(userId: string): Promise<InspectedRecord[]> {
    const listed = await store.refreshTokens.listByUser(userId);
    const records = listed.flatMap(({ id, envelope }) => inspectEnvelope('refreshToken', id, envelope) ?? []);
    return records.sort((a, b) => createdAt(a) - createdAt(b));
  }

  return {
    async find(rawQuery) {
      const query = rawQuery.trim();
      if (query === '') return null;
      const { id, user } = await userFor(query);
      if (user === null && !PLAUSIBLE_ID.test(id)) return null;
      const [history, refreshTokens, username] = await Promise.all([
        store.audit.forUser(id, USER_HISTORY_LIMIT),
        user === null ? [] : tokensOf(id),
        user === null ? null : usernameOf(id),
      ]);
      if (user === null && history.length === 0) return null;
      const shown: InspectedUser | null = user === null ? null : {
        id: user.id,
        name: user.name,
        username,
        isOwner: user.isOwner,
        isActive: user.isActive,
        systemGenerated: user.systemGenerated,
      };
      return { user: shown, refreshTokens, history };
    },
  };
}
