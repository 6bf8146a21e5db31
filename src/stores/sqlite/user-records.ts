/**
 * Users as JSON rows, with `is_owner` as a column of its own so that "is there an owner yet?" is
 * one query inside the transaction that creates the owner (onboarding creates exactly one owner,
 * even when two requests race: homeassistant/components/onboarding/views.py). The onboarding mark
 * (onboarding.ts) is written in the same units (group-commit.ts): with onboarding's owner, and when an
 * owner is removed or demoted.
 */
import type { Database } from 'better-sqlite3';
import type { UserStore } from '../types.js';
import type { User } from '../../domain/models.js';
import type { GroupCommit } from './group-commit.js';
import { onboardingRows } from './onboarding.js';

type UserRecords = Pick<
  UserStore,
  'createUser' | 'getUser' | 'listUsers' | 'updateUser' | 'deleteUser' | 'isOnboarded' | 'markOnboarded' | 'undoOnboarding'
>;

interface UserRow {
  user: string;
}

/** Rows hold only what `encode` wrote, so the JSON is a User by construction. */
const decode = (row: UserRow): User => JSON.parse(row.user) as User;

const encode = (user: User) => ({ id: user.id, isOwner: user.isOwner ? 1 : 0, user: JSON.stringify(user) });

export function sqliteUserRecords(db: Database, group: GroupCommit): UserRecords {
  const onboarding = onboardingRows(db);
  const insert = db.prepare<ReturnType<typeof encode>>(
    'INSERT INTO users (id, is_owner, user) VALUES (@id, @isOwner, @user) ON CONFLICT DO NOTHING',
  );
  const selectOwner = db.prepare<[], { id: string }>('SELECT id FROM users WHERE is_owner = 1 LIMIT 1');
  const selectIsOwner = db.prepare<[string], { isOwner: number }>('SELECT is_owner AS isOwner FROM users WHERE id = ?');
  const selectOne = db.prepare<[string], UserRow>('SELECT user FROM users WHERE id = ?');
  const selectAll = db.prepare<[], UserRow>('SELECT user FROM users ORDER BY rowid');
  const update = db.prepare<ReturnType<typeof encode>>('UPDATE users SET is_owner = @isOwner, user = @user WHERE id = @id');
  // Credentials go with the user through `ON DELETE CASCADE` (schema.ts), in the same statement.
  const deleteOne = db.prepare<[string]>('DELETE FROM users WHERE id = ?');

  const createUser = (user: User, asOwner: boolean, onboards: boolean): boolean => {
    if (asOwner && selectOwner.get() !== undefined) return false;
    if (onboards && onboarding.isOnboarded()) return false;
    if (insert.run(encode(user)).changes !== 1) return false;
    if (onboards) onboarding.mark(user.id);
    return true;
  };

  /** An owner leaving its role means onboarding was done: the mark keeps it done once no owner is left. */
  const markIfOwner = (id: string) => {
    if (selectIsOwner.get(id)?.isOwner === 1) onboarding.mark();
  };

  const updateUser = (user: User): boolean => {
    if (!user.isOwner) markIfOwner(user.id);
    return update.run(encode(user)).changes === 1;
  };

  const deleteUser = (id: string) => {
    markIfOwner(id);
    deleteOne.run(id);
  };

  const undoOnboarding = (ownerId: string): boolean => {
    if (!onboarding.unmarkIfBy(ownerId)) return false;
    deleteOne.run(ownerId);
    return true;
  };

  return {
    createUser: (user, options) => group.write(() => createUser(user, options?.asOwner === true, options?.onboarding === true)),
    getUser: (id) =>
      group.read(() => {
        const row = selectOne.get(id);
        return row === undefined ? null : decode(row);
      }),
    listUsers: () => group.read(() => selectAll.all().map(decode)),
    updateUser: (user) => group.write(() => updateUser(user)),
    deleteUser: (id) => group.write(() => deleteUser(id)),
    isOnboarded: () => group.read(() => onboarding.isOnboarded()),
    markOnboarded: () => group.write(() => onboarding.mark()),
    undoOnboarding: (ownerId) => group.write(() => undoOnboarding(ownerId)),
  };
}
