/**
 * Refresh tokens: envelopes findable by the SHA-256 of their secret and listable per user
 * (ARCHITECTURE.md, "Secrets at rest": only the hash is stored). Both indexes are columns of the
 * token's own row (`token_hash UNIQUE`, `user_id` indexed), so a write or a delete of the record
 * is also a write or a delete of its indexes, with nothing to keep in step.
 *
 * Tokens have no TTL while usable; a compare-and-set gives a tombstone its TTL, after which the
 * token is absent from `load`, `findIdByTokenHash` and `listByUser` alike.
 */
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../domain/clock.js';
import type { AuditEntry, CasResult, Credential, Envelope, RefreshTokenKeys, RefreshTokenStore, TtlChange, User } from '../types.js';
import type { KeepAudit } from './audit.js';
import { assertRev, decodeEnvelope, decodeEnvelopeOrSkip, encodeEnvelope } from '../envelope-codec.js';
import { envelopeTable, LIVE } from './envelope-table.js';

interface InsertParameters {
  id: string;
  rev: number;
  envelope: string;
  tokenHash: string;
  userId: string;
}

interface PresentedRow {
  id: string;
  envelope: string;
  user: string | null;
  credential: string | null;
}

/** Users and credentials rows hold only what their adapters wrote (user-records.ts, credentials.ts). */
const optionalJson = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

export function sqliteRefreshTokens(db: Database, clock: Clock, keepAudit: KeepAudit): RefreshTokenStore {
  const { dropIfExpired, compareAndSetNow: compareAndSet, ...operations } = envelopeTable(db, 'refresh_tokens', clock, keepAudit);
  const insert = db.prepare<InsertParameters>(
    `INSERT INTO refresh_tokens (id, rev, envelope, expires_at, token_hash, user_id)
     VALUES (@id, @rev, @envelope, NULL, @tokenHash, @userId)
     ON CONFLICT DO NOTHING`,
  );
  const selectIdByHash = db.prepare<{ tokenHash: string; now: number }, { id: string }>(
    `SELECT id FROM refresh_tokens WHERE token_hash = @tokenHash AND ${LIVE}`,
  );
  const selectByHash = db.prepare<{ tokenHash: string; now: number }, { id: string; envelope: string }>(
    `SELECT id, envelope FROM refresh_tokens WHERE token_hash = @tokenHash AND ${LIVE}`,
  );
  // One statement each (issue 16): the token with its user and the credential its snapshot names.
  const selectPresented = db.prepare<{ tokenHash: string; now: number }, PresentedRow>(
    `SELECT t.id, t.envelope, u.user, c.credential
       FROM refresh_tokens t
       LEFT JOIN users u ON u.id = t.user_id
       LEFT JOIN credentials c ON c.id = json_extract(t.envelope, '$.snapshot.context.credentialId')
      WHERE t.token_hash = @tokenHash AND (t.expires_at IS NULL OR t.expires_at > @now)`,
  );
  const selectSession = db.prepare<{ id: string; now: number }, Omit<PresentedRow, 'id' | 'credential'>>(
    `SELECT t.envelope, u.user
       FROM refresh_tokens t LEFT JOIN users u ON u.id = t.user_id
      WHERE t.id = @id AND (t.expires_at IS NULL OR t.expires_at > @now)`,
  );
  const selectByUser = db.prepare<{ userId: string; now: number }, { id: string; envelope: string }>(
    `SELECT id, envelope FROM refresh_tokens WHERE user_id = @userId AND ${LIVE}`,
  );
  const deleteExpiredHash = db.prepare<{ tokenHash: string; now: number }>(
    `DELETE FROM refresh_tokens WHERE token_hash = @tokenHash AND expires_at <= @now`,
  );

  // `ON CONFLICT DO NOTHING` covers both the id and the hash; expired rows first give way.
  const create = db.transaction((keys: RefreshTokenKeys, envelope: Envelope, audit: readonly AuditEntry[] = []): boolean => {
    assertRev(envelope, 1);
    const now = clock();
    dropIfExpired(keys.id, now);
    deleteExpiredHash.run({ tokenHash: keys.tokenHash, now });
    const { id, userId, tokenHash } = keys;
    if (insert.run({ id, userId, tokenHash, rev: envelope.rev, envelope: encodeEnvelope(envelope) }).changes !== 1) return false;
    keepAudit(audit);
    return true;
  });

  // One transaction: a successor that cannot be created undoes the compare-and-set (RangeError).
  const exchange = db.transaction(
    (id: string, expectedRev: number, next: Envelope, ttl: TtlChange, successor: { keys: RefreshTokenKeys; envelope: Envelope }, audit: readonly AuditEntry[]): CasResult => {
      assertRev(successor.envelope, 1);
      const written = compareAndSet(id, expectedRev, next, ttl);
      if (written.ok && !create(successor.keys, successor.envelope, audit)) {
        throw new RangeError(`refresh token ${successor.keys.id}: the successor's id or hash is taken`);
      }
      return written;
    },
  );

  return {
    ...operations,
    create: async (keys, envelope, audit) => create(keys, envelope, audit),
    exchange: async (id, expectedRev, next, ttl, successor, audit = []) => exchange(id, expectedRev, next, ttl, successor, audit),
    findIdByTokenHash: async (tokenHash) => selectIdByHash.get({ tokenHash, now: clock() })?.id ?? null,
    loadByTokenHash: async (tokenHash) => {
      const row = selectByHash.get({ tokenHash, now: clock() });
      return row === undefined ? null : { id: row.id, envelope: decodeEnvelope(row.envelope) };
    },
    loadPresented: async (tokenHash) => {
      const row = selectPresented.get({ tokenHash, now: clock() });
      if (row === undefined) return null;
      return { id: row.id, envelope: decodeEnvelope(row.envelope), user: optionalJson<User>(row.user), credential: optionalJson<Credential>(row.credential) };
    },
    loadSession: async (id) => {
      const row = selectSession.get({ id, now: clock() });
      return row === undefined ? null : { envelope: decodeEnvelope(row.envelope), user: optionalJson<User>(row.user) };
    },
    listByUser: async (userId) =>
      selectByUser
        .all({ userId, now: clock() })
        .flatMap((row) => decodeEnvelopeOrSkip(row.envelope).map((envelope) => ({ id: row.id, envelope }))),
  };
}
