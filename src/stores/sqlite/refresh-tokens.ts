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
import type { Envelope, RefreshTokenKeys, RefreshTokenStore } from '../types.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { envelopeTable, LIVE } from './envelope-table.js';

interface InsertParameters {
  id: string;
  rev: number;
  envelope: string;
  tokenHash: string;
  userId: string;
}

export function sqliteRefreshTokens(db: Database, clock: Clock, codec: EnvelopeCodec): RefreshTokenStore {
  const { dropIfExpired, ...operations } = envelopeTable(db, 'refresh_tokens', clock, codec);
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
  const create = db.transaction((keys: RefreshTokenKeys, envelope: Envelope): boolean => {
    assertRev(envelope, 1);
    const now = clock();
    dropIfExpired(keys.id, now);
    deleteExpiredHash.run({ tokenHash: keys.tokenHash, now });
    return insert.run({ ...keys, rev: envelope.rev, envelope: codec.encode(keys.id, envelope) }).changes === 1;
  });

  return {
    ...operations,
    create: async (keys, envelope) => create(keys, envelope),
    findIdByTokenHash: async (tokenHash) => selectIdByHash.get({ tokenHash, now: clock() })?.id ?? null,
    loadByTokenHash: async (tokenHash) => {
      const row = selectByHash.get({ tokenHash, now: clock() });
      return row === undefined ? null : { id: row.id, envelope: codec.decode(row.id, row.envelope) };
    },
    listByUser: async (userId) =>
      selectByUser
        .all({ userId, now: clock() })
        .flatMap((row) => codec.decodeOrSkip(row.id, row.envelope).map((envelope) => ({ id: row.id, envelope }))),
  };
}
