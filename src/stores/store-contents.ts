/**
 * What `ReadableStore.readContents` gives: everything an adapter keeps, as stored, for the
 * consistency checks of test/support/store-invariants.ts. Not part of the request path's contract
 * (types.ts `Store`): the adapters offer it beside that contract, and nothing in a request calls it.
 */
import type { MachineName } from '../../machines/index.js';
import type { Envelope, RefreshTokenKeys, Store } from './types.js';
import type { Credential, User } from '../domain/models.js';

/** A persisted record as stored: its envelope, or null when the stored text is not one. */
export interface StoredRecord {
  id: string;
  envelope: Envelope | null;
}

/** A credential as stored, with the login its record says it holds (Redis keeps it to move the login). */
export interface StoredCredential {
  id: string;
  credential: Credential;
  /** The user the record is filed under (Redis: the `user` field; SQLite: the `user_id` column). */
  userId: string;
  /** The login the record says it holds; null when it names none that can be read back. */
  login: CredentialLogin | null;
}

/** What makes a login unique (types.ts `Credential`): provider type, provider id, lookup key. */
export type CredentialLogin = Pick<Credential, 'authProviderType' | 'authProviderId' | 'lookupKey'>;

/**
 * Everything an adapter keeps, as stored, index entries apart from the records they point at: what a
 * consistency check walks (test/support/store-invariants.ts) to prove that no record is unreadable
 * and no index entry dangles, whatever wrote the store (a fuzzer, a process killed mid-write). Live
 * entries only, as every read sees them. Read-only and O(everything stored): never on a request's
 * path. The embedded store derives each index from the row it indexes; Redis keeps them as keys of
 * their own (keys.ts), which is where they could drift apart.
 */
export interface StoreContents {
  records: Record<MachineName, StoredRecord[]>;
  /** What each refresh token record says its secret's hash and its user are. */
  refreshTokenKeys: RefreshTokenKeys[];
  /** The index by secret hash: `findIdByTokenHash(tokenHash)` is `id`. */
  refreshTokenHashIndex: Array<{ tokenHash: string; id: string }>;
  /** The index by user that `listByUser` reads (Redis drops an entry whose record is gone when it meets it). */
  userRefreshTokenIndex: Array<{ userId: string; id: string }>;
  users: User[];
  /** The ids the one-owner rule checks (Redis: the `owners` set; SQLite: the `is_owner` column). */
  ownerIds: string[];
  credentials: StoredCredential[];
  /** The login index that `findCredential` reads. */
  credentialLoginIndex: Array<{ login: CredentialLogin; id: string }>;
  /** The index by user that `listCredentials` reads. */
  userCredentialIndex: Array<{ userId: string; id: string }>;
  /** Whose MFA secrets are kept, per module. */
  mfaSecrets: Array<{ moduleId: string; userId: string }>;
}

/** The contents of an empty store, which an adapter fills as it reads. */
export function emptyStoreContents(): StoreContents {
  return {
    records: { loginGrant: [], refreshToken: [], loginFlow: [], mfaSetupFlow: [] },
    refreshTokenKeys: [],
    refreshTokenHashIndex: [],
    userRefreshTokenIndex: [],
    users: [],
    ownerIds: [],
    credentials: [],
    credentialLoginIndex: [],
    userCredentialIndex: [],
    mfaSecrets: [],
  };
}

/** A store as its adapter opens it: the request path's contract, and everything it holds. */
export interface ReadableStore extends Store {
  readContents(): Promise<StoreContents>;
}
