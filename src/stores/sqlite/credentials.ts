/**
 * Credentials: the logins linked to a user (Home Assistant keeps them inside the user record).
 * A login is unique per (provider type, provider id, lookup key); schema.ts enforces it with two
 * partial unique indexes because the default providers' id is NULL, and NULL must match NULL.
 * A `homeassistant` login added or renamed goes with its password entry, in one unit of the group commit.
 */
import type { Database } from 'better-sqlite3';
import type { LoginAdd, LoginRename, UserStore } from '../types.js';
import type { Credential } from '../../domain/models.js';
import type { GroupCommit } from './group-commit.js';

type CredentialRecords = Pick<
  UserStore,
  'addCredential' | 'findCredential' | 'getCredential' | 'listCredentials' | 'removeCredential' | 'updateCredential' | 'renameLogin' | 'addLogin'
>;

interface CredentialRow {
  credential: string;
}

interface LoginKey {
  type: string;
  providerId: string | null;
  lookupKey: string;
}

/** Rows hold only what `addCredential` wrote, so the JSON is a Credential by construction. */
const decode = (row: CredentialRow): Credential => JSON.parse(row.credential) as Credential;

export function sqliteCredentials(db: Database, group: GroupCommit): CredentialRecords {
  // Both unique indexes and the primary key answer `ON CONFLICT DO NOTHING`; an unknown user
  // fails the foreign key instead, which is a caller's bug and rejects.
  const insert = db.prepare<[string, string, string, string | null, string, string]>(
    `INSERT INTO credentials (id, user_id, auth_provider_type, auth_provider_id, lookup_key, credential)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  // `IS` rather than `=`: a NULL provider id must find the NULL provider id.
  const selectByLogin = db.prepare<LoginKey, CredentialRow>(
    `SELECT credential FROM credentials
     WHERE auth_provider_type = @type AND auth_provider_id IS @providerId AND lookup_key = @lookupKey`,
  );
  const selectOne = db.prepare<[string], CredentialRow>('SELECT credential FROM credentials WHERE id = ?');
  const selectByUser = db.prepare<[string], CredentialRow>('SELECT credential FROM credentials WHERE user_id = ? ORDER BY rowid');
  const deleteOne = db.prepare<[string]>('DELETE FROM credentials WHERE id = ?');
  // One statement moves the login: `OR IGNORE` leaves the row as it was when the new login is
  // another credential's (the unique indexes answer), and `changes` then reads 0.
  const update = db.prepare<{ id: string; lookupKey: string; credential: string }>(
    'UPDATE OR IGNORE credentials SET lookup_key = @lookupKey, credential = @credential WHERE id = @id',
  );

  const selectPassword = db.prepare<[string], { username: string }>('SELECT username FROM passwords WHERE username = ?');
  // The row keeps its rowid, so the entry keeps its place in the listing, as Home Assistant renames in place.
  const renamePassword = db.prepare<{ from: string; to: string }>('UPDATE passwords SET username = @to WHERE username = @from');

  /** The stored credential `c` replaces; rejects when `c` would move it to another user or provider. */
  const storedFor = (operation: string, c: Credential): Credential | undefined => {
    const row = selectOne.get(c.id);
    if (row === undefined) return undefined;
    const stored = decode(row);
    if (stored.userId !== c.userId || stored.authProviderType !== c.authProviderType || stored.authProviderId !== c.authProviderId) {
      throw new Error(`${operation}: credential ${c.id} cannot move to another user or provider`);
    }
    return stored;
  };

  // The checks and the writes run in one unit (group-commit.ts), so nothing can come between them.
  const updateCredential = (c: Credential): boolean =>
    storedFor('updateCredential', c) !== undefined && update.run({ id: c.id, lookupKey: c.lookupKey, credential: JSON.stringify(c) }).changes === 1;

  const renameLogin = (from: string, to: string, c: Credential | undefined): LoginRename => {
    const credentialMissing = c !== undefined && storedFor('renameLogin', c) === undefined;
    if (selectPassword.get(from) === undefined || credentialMissing) return 'missing';
    if (selectPassword.get(to) !== undefined) return 'taken';
    if (c !== undefined) {
      const holder = selectByLogin.get({ type: c.authProviderType, providerId: c.authProviderId, lookupKey: c.lookupKey });
      if (holder !== undefined && decode(holder).id !== c.id) return 'taken';
      update.run({ id: c.id, lookupKey: c.lookupKey, credential: JSON.stringify(c) });
    }
    renamePassword.run({ from, to });
    return 'renamed';
  };

  const selectUser = db.prepare<[string], { id: string }>('SELECT id FROM users WHERE id = ?');
  const insertPassword = db.prepare<{ username: string; passwordHash: string }>('INSERT INTO passwords (username, password_hash) VALUES (@username, @passwordHash)');
  const addCredential = (c: Credential): boolean => insert.run(c.id, c.userId, c.authProviderType, c.authProviderId, c.lookupKey, JSON.stringify(c)).changes === 1;

  const addLogin = (username: string, passwordHash: string, c: Credential): LoginAdd => {
    if (selectUser.get(c.userId) === undefined) throw new Error(`addLogin: no user ${c.userId}`);
    if (selectPassword.get(username) !== undefined) return 'username_taken';
    const holder = selectByLogin.get({ type: c.authProviderType, providerId: c.authProviderId, lookupKey: c.lookupKey });
    // The user's own credential that lost its entry is kept; another user's is theirs.
    if (holder !== undefined ? decode(holder).userId !== c.userId : !addCredential(c)) return 'credential_taken';
    insertPassword.run({ username, passwordHash });
    return 'added';
  };

  return {
    addCredential: (credential) => group.write(() => addCredential(credential)),
    findCredential: (type, providerId, lookupKey) =>
      group.read(() => {
        const row = selectByLogin.get({ type, providerId, lookupKey });
        return row === undefined ? null : decode(row);
      }),
    getCredential: (id) =>
      group.read(() => {
        const row = selectOne.get(id);
        return row === undefined ? null : decode(row);
      }),
    listCredentials: (userId) => group.read(() => selectByUser.all(userId).map(decode)),
    removeCredential: (id) =>
      group.write(() => {
        deleteOne.run(id);
      }),
    updateCredential: (credential) => group.write(() => updateCredential(credential)),
    renameLogin: (from, to, credential) => group.write(() => renameLogin(from, to, credential)),
    addLogin: ({ username, passwordHash }, credential) => group.write(() => addLogin(username, passwordHash, credential)),
  };
}
