/**
 * MFA entries: one row per (module id, user id) with the secret and the last accepted time step
 * (types.ts `MfaStore`). The replay guard is one conditional UPDATE, so two callers with the same
 * code cannot both move it: the second finds `last_step < @step` false. Rows go with their user
 * through `ON DELETE CASCADE` (schema.ts). Secrets are stored sealed (sealing/sealer.ts), so the
 * guard checks that the stored text opens to the caller's secret and updates only that text, in one
 * transaction.
 */
import type { Database } from 'better-sqlite3';
import { openStored, opensTo } from '../sealing/open-stored.js';
import { sealedPlace } from '../sealing/sealed-places.js';
import type { Sealer } from '../sealing/sealer.js';
import type { MfaStore } from '../types.js';
import type { GroupCommit } from './group-commit.js';

interface EntryKey {
  moduleId: string;
  userId: string;
}

interface Entry extends EntryKey {
  secret: string;
  step: number;
}

export function sqliteMfa(db: Database, group: GroupCommit, sealer: Sealer): MfaStore {
  const selectUser = db.prepare<[string], { id: string }>('SELECT id FROM users WHERE id = ?');
  const upsert = db.prepare<Entry>(
    `INSERT INTO mfa_secrets (module_id, user_id, secret, last_step) VALUES (@moduleId, @userId, @secret, @step)
     ON CONFLICT (module_id, user_id) DO UPDATE SET secret = excluded.secret, last_step = excluded.last_step`,
  );
  const selectSecret = db.prepare<EntryKey, { secret: string }>(
    'SELECT secret FROM mfa_secrets WHERE module_id = @moduleId AND user_id = @userId',
  );
  const selectModules = db.prepare<[string], { moduleId: string }>(
    'SELECT module_id AS moduleId FROM mfa_secrets WHERE user_id = ? ORDER BY rowid',
  );
  const deleteEntry = db.prepare<EntryKey>('DELETE FROM mfa_secrets WHERE module_id = @moduleId AND user_id = @userId');
  const advance = db.prepare<Entry>(
    `UPDATE mfa_secrets SET last_step = @step
     WHERE module_id = @moduleId AND user_id = @userId AND secret = @secret AND last_step < @step`,
  );

  // The user check and the write in one unit: a user deleted meanwhile cannot get an entry.
  const setSecret = (entry: Entry): boolean => {
    if (selectUser.get(entry.userId) === undefined) return false;
    upsert.run({ ...entry, secret: sealer.seal(entry.secret, sealedPlace.mfaSecret(entry.moduleId, entry.userId)) });
    return true;
  };

  const acceptStep = (entry: Entry): boolean => {
    const stored = selectSecret.get(entry)?.secret;
    if (stored === undefined || !opensTo(sealer, stored, sealedPlace.mfaSecret(entry.moduleId, entry.userId), entry.secret)) return false;
    return advance.run({ ...entry, secret: stored }).changes === 1;
  };

  return {
    getSecret: (moduleId, userId) =>
      group.read(() => {
        const stored = selectSecret.get({ moduleId, userId })?.secret;
        return stored === undefined ? null : openStored(sealer, stored, sealedPlace.mfaSecret(moduleId, userId));
      }),
    setSecret: (moduleId, userId, secret, step) => group.write(() => setSecret({ moduleId, userId, secret, step })),
    deleteSecret: (moduleId, userId) =>
      group.write(() => {
        deleteEntry.run({ moduleId, userId });
      }),
    listModuleIds: (userId) => group.read(() => selectModules.all(userId).map((row) => row.moduleId)),
    acceptStep: (moduleId, userId, secret, step) => group.write(() => acceptStep({ moduleId, userId, secret, step })),
  };
}
