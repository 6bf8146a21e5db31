/**
 * Deployment-wide secrets: the first value written under a name stays, stored sealed. One that no
 * given key opens (altered, or sealed with a key since dropped) is replaced by the candidate: what it
 * signed can no longer be checked anyway, as after a restart of Home Assistant, which keeps these in memory.
 */
import type { Database } from 'better-sqlite3';
import { openStored } from '../sealing/open-stored.js';
import { sealedPlace } from '../sealing/sealed-places.js';
import type { Sealer } from '../sealing/sealer.js';
import { UnreadableRecordError } from '../envelope-codec.js';
import type { SecretStore } from '../types.js';
import type { GroupCommit } from './group-commit.js';

export function sqliteSecrets(db: Database, group: GroupCommit, sealer: Sealer): SecretStore {
  const select = db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?');
  const upsert = db.prepare<[string, string]>('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO UPDATE SET value = excluded.value');
  const getOrCreate = (name: string, candidate: string): string => {
    const place = sealedPlace.secret(name);
    const stored = select.get(name)?.value;
    if (stored !== undefined) {
      try {
        return openStored(sealer, stored, place);
      } catch (error) {
        if (!(error instanceof UnreadableRecordError)) throw error;
      }
    }
    upsert.run(name, sealer.seal(candidate, place));
    return candidate;
  };
  return { getOrCreate: (name, candidate) => group.write(() => getOrCreate(name, candidate)) };
}
