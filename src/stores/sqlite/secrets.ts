/** Deployment-wide secrets: the first value written under a name stays. */
import type { Database } from 'better-sqlite3';
import type { SecretStore } from '../types.js';
import type { GroupCommit } from './group-commit.js';

export function sqliteSecrets(db: Database, group: GroupCommit): SecretStore {
  const insert = db.prepare<[string, string]>('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const select = db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?');
  const getOrCreate = (name: string, candidate: string) => {
    insert.run(name, candidate);
    return select.get(name)?.value ?? candidate;
  };
  return { getOrCreate: (name, candidate) => group.write(() => getOrCreate(name, candidate)) };
}
