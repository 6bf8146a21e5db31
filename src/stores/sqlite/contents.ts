/**
 * `readContents` on the embedded store (types.ts `StoreContents`): a SELECT per table, in one read
 * transaction so that every part sees the same moment. Each index is a column (or a UNIQUE index) of
 * the row it indexes, so here an index entry cannot outlive its record; what the walk can still find
 * is text that does not decode and a user whose `is_owner` column disagrees with its JSON.
 */
import type { Database } from 'better-sqlite3';
import type { MachineName } from '../../../machines/index.js';
import type { EnvelopeCodec } from '../envelope-codec.js';
import type { Credential, User } from '../../domain/models.js';
import type { StoreContents, StoredRecord } from '../store-contents.js';
import { LIVE } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';
import { ENVELOPE_TABLES, type EnvelopeTable } from './schema.js';

const TABLE_MACHINES: Record<EnvelopeTable, MachineName> = {
  grants: 'loginGrant',
  flows: 'loginFlow',
  mfa_setup_flows: 'mfaSetupFlow',
  refresh_tokens: 'refreshToken',
};

interface CredentialRow {
  id: string;
  userId: string;
  type: string;
  providerId: string | null;
  lookupKey: string;
  credential: string;
}

export function sqliteContents(db: Database, group: GroupCommit, codec: EnvelopeCodec): () => Promise<StoreContents> {
  const selectRecords = ENVELOPE_TABLES.map((table) => ({
    machine: TABLE_MACHINES[table],
    statement: db.prepare<{ now: number }, { id: string; envelope: string }>(`SELECT id, envelope FROM ${table} WHERE ${LIVE}`),
  }));
  const selectTokenKeys = db.prepare<{ now: number }, { id: string; tokenHash: string; userId: string }>(
    `SELECT id, token_hash AS tokenHash, user_id AS userId FROM refresh_tokens WHERE ${LIVE}`,
  );
  const selectUsers = db.prepare<[], { id: string; user: string; isOwner: number }>('SELECT id, user, is_owner AS isOwner FROM users');
  const selectCredentials = db.prepare<[], CredentialRow>(
    `SELECT id, user_id AS userId, auth_provider_type AS type, auth_provider_id AS providerId, lookup_key AS lookupKey, credential
     FROM credentials`,
  );
  const selectMfa = db.prepare<[], { moduleId: string; userId: string }>('SELECT module_id AS moduleId, user_id AS userId FROM mfa_secrets');

  const read = db.transaction((now: number): StoreContents => {
    const records: Record<MachineName, StoredRecord[]> = { loginGrant: [], refreshToken: [], loginFlow: [], mfaSetupFlow: [] };
    for (const { machine, statement } of selectRecords) {
      for (const { id, envelope } of statement.all({ now })) records[machine].push({ id, envelope: codec.decodeOrSkip(id, envelope)[0] ?? null });
    }
    const refreshTokenKeys = selectTokenKeys.all({ now });
    const userRows = selectUsers.all();
    const credentialRows = selectCredentials.all();
    const credentials = credentialRows.map((row) => {
      const login = { authProviderType: row.type, authProviderId: row.providerId, lookupKey: row.lookupKey };
      return { id: row.id, credential: JSON.parse(row.credential) as Credential, userId: row.userId, login };
    });
    return {
      records,
      refreshTokenKeys,
      refreshTokenHashIndex: refreshTokenKeys.map(({ id, tokenHash }) => ({ tokenHash, id })),
      userRefreshTokenIndex: refreshTokenKeys.map(({ id, userId }) => ({ userId, id })),
      users: userRows.map((row) => JSON.parse(row.user) as User),
      ownerIds: userRows.filter((row) => row.isOwner === 1).map((row) => row.id),
      credentials,
      credentialLoginIndex: credentials.map(({ id, login }) => ({ login, id })),
      userCredentialIndex: credentials.map(({ id, userId }) => ({ userId, id })),
      mfaSecrets: selectMfa.all(),
    };
  });

  return () => group.read(read);
}
