/**
 * The `homeassistant` auth provider's entries: username → password hash, as Home Assistant keeps
 * them in `.storage/auth_provider.homeassistant` (base64 of the bcrypt hash, stored as given).
 */
import type { Database } from 'better-sqlite3';
import type { UserStore } from '../types.js';
import type { PasswordEntry } from '../../domain/models.js';
import type { GroupCommit } from './group-commit.js';

type PasswordRecords = Pick<UserStore, 'addPassword' | 'getPassword' | 'setPassword' | 'deletePassword' | 'listPasswords'>;

const COLUMNS = 'username, password_hash AS passwordHash';

export function sqlitePasswords(db: Database, group: GroupCommit): PasswordRecords {
  const insert = db.prepare<PasswordEntry>(
    'INSERT INTO passwords (username, password_hash) VALUES (@username, @passwordHash) ON CONFLICT DO NOTHING',
  );
  const update = db.prepare<PasswordEntry>('UPDATE passwords SET password_hash = @passwordHash WHERE username = @username');
  const selectOne = db.prepare<[string], PasswordEntry>(`SELECT ${COLUMNS} FROM passwords WHERE username = ?`);
  const selectAll = db.prepare<[], PasswordEntry>(`SELECT ${COLUMNS} FROM passwords ORDER BY rowid`);
  const deleteOne = db.prepare<[string]>('DELETE FROM passwords WHERE username = ?');

  return {
    addPassword: ({ username, passwordHash }) => group.write(() => insert.run({ username, passwordHash }).changes === 1),
    getPassword: (username) => group.read(() => selectOne.get(username) ?? null),
    setPassword: ({ username, passwordHash }) => group.write(() => update.run({ username, passwordHash }).changes === 1),
    deletePassword: (username) =>
      group.write(() => {
        deleteOne.run(username);
      }),
    listPasswords: () => group.read(() => selectAll.all()),
  };
}
