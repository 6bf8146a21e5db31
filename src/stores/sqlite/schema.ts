/**
 * The embedded store's tables (ARCHITECTURE.md, "Stores": TTL columns checked on read and swept).
 *
 * Each persisted lifecycle gets its own table of envelopes `(id, rev, envelope, expires_at)`:
 * `rev` is a column so that compare-and-set is one indexed UPDATE, `envelope` is the JSON the
 * machines' migrations read back (src/stores/envelope.ts), `expires_at` is epoch ms or NULL (no TTL).
 * Refresh tokens add their two indexes as columns of the same row, so that writing or deleting
 * the record writes or deletes its indexes with it. Tables are STRICT so a wrong type fails loudly.
 */
import type { Database } from 'better-sqlite3';
import type { MachineName } from '../../../machines/index.js';

/** The tables that hold envelopes; names are constants, never input, so SQL may interpolate them. */
export const ENVELOPE_TABLES = ['grants', 'flows', 'mfa_setup_flows', 'refresh_tokens'] as const;
export type EnvelopeTable = (typeof ENVELOPE_TABLES)[number];

/** The machine whose records each table holds. */
export const TABLE_MACHINES: Record<EnvelopeTable, MachineName> = {
  grants: 'loginGrant',
  flows: 'loginFlow',
  mfa_setup_flows: 'mfaSetupFlow',
  refresh_tokens: 'refreshToken',
};

const SCHEMA_VERSION = 2;

/**
 * The state a row is counted in (record-counts.ts): its snapshot's value, a nested state's as JSON
 * text; NULL for text that is not JSON or has no state, which no count includes.
 */
export const stateOf = (row: string) =>
  `CAST(CASE WHEN json_valid(${row}.envelope) THEN json_extract(${row}.envelope, '$.snapshot.value') END AS TEXT)`;

/**
 * `record_counts` holds, per machine and state, how many rows of its table are in that state, expired
 * or not: triggers keep it with every insert, update of the envelope and delete, whatever runs them
 * (a write's unit, the sweep, a create dropping an expired row), in the statement's own transaction.
 */
function countingTriggers(table: EnvelopeTable): string {
  const machine = TABLE_MACHINES[table];
  const add = (row: string) =>
    `INSERT INTO record_counts (machine, state, n) SELECT '${machine}', ${stateOf(row)}, 1 WHERE ${stateOf(row)} IS NOT NULL
       ON CONFLICT (machine, state) DO UPDATE SET n = n + 1;`;
  const remove = (row: string) => `UPDATE record_counts SET n = n - 1 WHERE machine = '${machine}' AND state = ${stateOf(row)};`;
  return `
    CREATE TRIGGER IF NOT EXISTS ${table}_counted_insert AFTER INSERT ON ${table} BEGIN ${add('NEW')} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_counted_delete AFTER DELETE ON ${table} BEGIN ${remove('OLD')} END;
    CREATE TRIGGER IF NOT EXISTS ${table}_counted_update AFTER UPDATE OF envelope ON ${table}
      WHEN ${stateOf('OLD')} IS NOT ${stateOf('NEW')}
      BEGIN ${remove('OLD')} ${add('NEW')} END;`;
}

function envelopeTable(name: EnvelopeTable, extraColumns = ''): string {
  return `
    CREATE TABLE IF NOT EXISTS ${name} (
      id TEXT PRIMARY KEY,
      rev INTEGER NOT NULL,
      envelope TEXT NOT NULL,
      expires_at INTEGER${extraColumns}
    ) STRICT;
    CREATE INDEX IF NOT EXISTS ${name}_expires_at ON ${name} (expires_at) WHERE expires_at IS NOT NULL;`;
}

const SCHEMA = `
  ${envelopeTable('grants')}
  ${envelopeTable('flows')}
  ${envelopeTable('mfa_setup_flows')}
  ${envelopeTable('refresh_tokens', ',\n      token_hash TEXT NOT NULL UNIQUE,\n      user_id TEXT NOT NULL,\n      last_used_at INTEGER,\n      last_used_ip TEXT')}
  CREATE INDEX IF NOT EXISTS refresh_tokens_user_id ON refresh_tokens (user_id);
  -- Which client opened a login flow (types.ts FlowStore.openFor); a row goes with its flow, however
  -- the flow goes (deleted, swept), so the count of a client's live flows is a join.
  CREATE TABLE IF NOT EXISTS flow_clients (
    flow_id TEXT PRIMARY KEY REFERENCES flows (id) ON DELETE CASCADE,
    client_key TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS flow_clients_client_key ON flow_clients (client_key);

  CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    is_owner INTEGER NOT NULL,
    user TEXT NOT NULL
  ) STRICT;

  CREATE TABLE IF NOT EXISTS credentials (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_provider_type TEXT NOT NULL,
    auth_provider_id TEXT,
    lookup_key TEXT NOT NULL,
    credential TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS credentials_user_id ON credentials (user_id);
  -- A login is unique per (provider type, provider id, lookup key), a NULL provider id being a value
  -- of its own (Home Assistant's default providers have id None). UNIQUE treats NULLs as distinct,
  -- hence two partial indexes.
  CREATE UNIQUE INDEX IF NOT EXISTS credentials_login ON credentials (auth_provider_type, auth_provider_id, lookup_key)
    WHERE auth_provider_id IS NOT NULL;
  CREATE UNIQUE INDEX IF NOT EXISTS credentials_login_default_provider ON credentials (auth_provider_type, lookup_key)
    WHERE auth_provider_id IS NULL;

  CREATE TABLE IF NOT EXISTS passwords (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
  ) STRICT;

  -- What a user set up for an MFA module: the secret (an HMAC key, stored as is) and the last time
  -- step a code was accepted at (the replay guard). Entries go with their user.
  CREATE TABLE IF NOT EXISTS mfa_secrets (
    module_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    last_step INTEGER NOT NULL,
    PRIMARY KEY (module_id, user_id)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS mfa_secrets_user_id ON mfa_secrets (user_id);

  -- Failed logins per client address (ha-auth-spec §11): the count within the window, forgotten at
  -- expires_at (slid forward by each failure, swept like the envelopes); and the bans, kept until lifted.
  CREATE TABLE IF NOT EXISTS login_failures (
    ip TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS login_failures_expires_at ON login_failures (expires_at);
  CREATE TABLE IF NOT EXISTS ip_bans (
    ip TEXT PRIMARY KEY,
    banned_at INTEGER NOT NULL
  ) STRICT;

  -- The audit trail (stores/types.ts AuditEntry as JSON), oldest rows trimmed beyond a cap.
  CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    entry TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS audit_record_id ON audit (record_id, seq);
  -- An index on the entry's user, not a column: a table of an older file gets it as it opens.
  CREATE INDEX IF NOT EXISTS audit_user_id ON audit (json_extract(entry, '$.userId'), seq);
  -- Held entries (types.ts AuditHold) until their record keeps them or expires_at passes (swept).
  CREATE TABLE IF NOT EXISTS audit_held (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    entry TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS audit_held_record_id ON audit_held (record_id, seq);
  CREATE INDEX IF NOT EXISTS audit_held_expires_at ON audit_held (expires_at);

  -- Onboarding's user step once done (stores/types.ts OnboardingState): at most one row, which
  -- removing users never deletes. done_by: the owner whose creation marked it, or 'marked'.
  CREATE TABLE IF NOT EXISTS onboarding (
    step TEXT PRIMARY KEY,
    done_by TEXT NOT NULL
  ) STRICT;

  -- Records that reached a state that deletes them at once, per minute (ended-records.ts);
  -- expires_at: when the minute is out of the last hour (swept).
  CREATE TABLE IF NOT EXISTS ended_records (
    machine TEXT NOT NULL,
    state TEXT NOT NULL,
    minute INTEGER NOT NULL,
    n INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (machine, state, minute)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS ended_records_expires_at ON ended_records (expires_at);

  CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  -- The sealing marker (stores/sealing/sealing-marker.ts): which key every secret is sealed with.
  CREATE TABLE IF NOT EXISTS sealing (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    marker TEXT NOT NULL
  ) STRICT;

  CREATE TABLE IF NOT EXISTS record_counts (
    machine TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (machine, state)
  ) STRICT;
  ${ENVELOPE_TABLES.map(countingTriggers).join('')}
`;

/** Counts every row of the envelope tables into `record_counts`, as the triggers would have. */
function countExistingRecords(db: Database): void {
  db.exec('DELETE FROM record_counts');
  for (const table of ENVELOPE_TABLES) {
    db.exec(
      `INSERT INTO record_counts (machine, state, n)
       SELECT '${TABLE_MACHINES[table]}', state, count(*) FROM (SELECT ${stateOf(table)} AS state FROM ${table}) WHERE state IS NOT NULL GROUP BY state`,
    );
  }
}

/**
 * Version 2 (issue 16): a refresh token's last use is kept beside its envelope (stores/refresh-token-use.ts),
 * so that uses of one token commute. A file of version 1 has the table without those columns: they
 * start empty, and every token's last use is then the one its envelope holds.
 */
function migrateToRecordedUses(db: Database): void {
  db.exec(`
    ALTER TABLE refresh_tokens ADD COLUMN last_used_at INTEGER;
    ALTER TABLE refresh_tokens ADD COLUMN last_used_ip TEXT;`);
}

/**
 * Creates what is missing, in one transaction. Later versions add their migrations here; a table
 * added without changing an existing one (the MFA tables, login_failures, ip_bans, onboarding, flow_clients, audit_held, sealing,
 * ended_records)
 * needs none,
 * `IF NOT EXISTS` creates it.
 *
 * Version 2 added the refresh tokens' last use beside their envelope (issue 16: migrateToRecordedUses)
 * and `record_counts` with the triggers that keep it (issue 15): a file of version 1 holds records
 * that no trigger saw, so opening it counts them once (a new file has none to count).
 */
export function applySchema(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`the database has schema version ${version}, newer than this hass-auth (${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    if (version === 1) migrateToRecordedUses(db);
    if (version < 2) countExistingRecords(db);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
