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
import type { Envelope, RefreshTokenKeys, RefreshTokenStore } from '../types.js';
import { assertRev, decodeEnvelope, decodeEnvelopeOrSkip, encodeEnvelope } from '../envelope-codec.js';
import { envelopeTable, LIVE } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';

interface InsertParameters {
  id: string;
  rev: number;
  envelope: string;
  tokenHash: string;
  userId: string;
}

export function sqliteRefreshTokens(db: Database, group: GroupCommit): RefreshTokenStore {
  const { dropIfExpired, ...operations } = envelopeTable(db, group, 'refresh_tokens');
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
  const selectByUser = db.prepare<{ userId: string; now: number }, { id: string; envelope: string }>(
    `SELECT id, envelope FROM refresh_tokens WHERE user_id = @userId AND ${LIVE}`,
  );
  const deleteExpiredHash = db.prepare<{ tokenHash: string; now: number }>(
    `DELETE FROM refresh_tokens WHERE token_hash = @tokenHash AND expires_at <= @now`,
  );

  // `ON CONFLICT DO NOTHING` covers both the id and the hash; expired rows first give way.
  const create = (keys: RefreshTokenKeys, envelope: Envelope, now: number): boolean => {
    assertRev(envelope, 1);
    dropIfExpired(keys.id, now);
    deleteExpiredHash.run({ tokenHash: keys.tokenHash, now });
    return insert.run({ ...keys, rev: envelope.rev, envelope: encodeEnvelope(envelope) }).changes === 1;
  };

  return {
    ...operations,
    create: (keys, envelope) => group.write((now) => create(keys, envelope, now)),
    findIdByTokenHash: (tokenHash) => group.read((now) => selectIdByHash.get({ tokenHash, now })?.id ?? null),
    loadByTokenHash: (tokenHash) =>
      group.read((now) => {
        const row = selectByHash.get({ tokenHash, now });
        return row === undefined ? null : { id: row.id, envelope: decodeEnvelope(row.envelope) };
      }),
    listByUser: (userId) =>
      group.read((now) =>
        selectByUser
          .all({ userId, now })
          .flatMap((row) => decodeEnvelopeOrSkip(row.envelope).map((envelope) => ({ id: row.id, envelope }))),
      ),
  };
}
