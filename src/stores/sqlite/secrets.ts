/** Deployment-wide secrets: the first value written under a name stays. */
import type { Database } from 'better-sqlite3';
import type { SecretStore } from '../types.js';

export function sqliteSecrets(db: Database): SecretStore {
  const insert = db.prepare<[string, string]>('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const select = db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?');
  const getOrCreate = db.transaction((name: string, candidate: string) => {
    insert.run(name, candidate);
    return select.get(name)?.value ?? candidate;
  });
  return { getOrCreate: async (name, candidate) => getOrCreate(name, candidate) };
}
