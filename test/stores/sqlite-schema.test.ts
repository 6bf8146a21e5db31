/**
 * The embedded store's schema versions (src/stores/sqlite/schema.ts): a file of version 1, whose
 * refresh_tokens table has no columns for a recorded use (issue 16), gains them when it is opened,
 * and its rows keep what they held.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { applySchema } from '../../src/stores/sqlite/schema.js';

const VERSION_1_TOKENS = `
  CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    rev INTEGER NOT NULL,
    envelope TEXT NOT NULL,
    expires_at INTEGER,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL
  ) STRICT;
  INSERT INTO refresh_tokens (id, rev, envelope, expires_at, token_hash, user_id) VALUES ('t', 3, '{}', NULL, 'h', 'u');
  PRAGMA user_version = 1;`;

const columns = (db: Database.Database) => (db.prepare('PRAGMA table_info(refresh_tokens)').all() as Array<{ name: string }>).map(({ name }) => name);

describe('schema versions', () => {
  it('a version 1 file gains the recorded-use columns, empty, and keeps its rows', () => {
    const db = new Database(':memory:');
    db.exec(VERSION_1_TOKENS);
    applySchema(db);
    expect(columns(db)).toEqual(['id', 'rev', 'envelope', 'expires_at', 'token_hash', 'user_id', 'last_used_at', 'last_used_ip']);
    expect(db.prepare('SELECT id, rev, last_used_at, last_used_ip FROM refresh_tokens').all()).toEqual([{ id: 't', rev: 3, last_used_at: null, last_used_ip: null }]);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
  });

  it('a new file has them from the start, and opening it again changes nothing', () => {
    const db = new Database(':memory:');
    applySchema(db);
    applySchema(db);
    expect(columns(db)).toContain('last_used_at');
    expect(columns(db)).toContain('last_used_ip');
  });
});
