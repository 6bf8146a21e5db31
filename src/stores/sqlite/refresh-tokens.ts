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
import type { AuditEntry, CasResult, Envelope, RefreshTokenKeys, RefreshTokenStore, TtlChange } from '../types.js';
import type { Credential, User } from '../../domain/models.js';
import type { KeepAudit } from './audit.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { envelopeTable, LIVE } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';

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

export function sqliteRefreshTokens(db: Database, group: GroupCommit, codec: EnvelopeCodec, keepAudit: KeepAudit): RefreshTokenStore {
  const { dropIfExpired, compareAndSetNow, ...operations } = envelopeTable(db, group, 'refresh_tokens', codec, keepAudit);
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
  const create = (keys: RefreshTokenKeys, envelope: Envelope, audit: readonly AuditEntry[], now: number): boolean => {
    assertRev(envelope, 1);
    dropIfExpired(keys.id, now);
    deleteExpiredHash.run({ tokenHash: keys.tokenHash, now });
    const { id, userId, tokenHash } = keys;
    if (insert.run({ id, userId, tokenHash, rev: envelope.rev, envelope: codec.encode(id, envelope) }).changes !== 1) return false;
    keepAudit(audit, now);
    return true;
  };

  // One unit, so one savepoint: a successor that cannot be created undoes the compare-and-set (RangeError).
  const exchange = (
    id: string,
    expectedRev: number,
    next: Envelope,
    ttl: TtlChange,
    successor: { keys: RefreshTokenKeys; envelope: Envelope },
    audit: readonly AuditEntry[],
    now: number,
  ): CasResult => {
    assertRev(successor.envelope, 1);
    const written = compareAndSetNow(id, expectedRev, next, ttl, [], now);
    if (written.ok && !create(successor.keys, successor.envelope, audit, now)) {
      throw new RangeError(`refresh token ${successor.keys.id}: the successor's id or hash is taken`);
    }
    return written;
  };

  return {
    ...operations,
    create: (keys, envelope, audit = []) => group.write((now) => create(keys, envelope, audit, now)),
    exchange: (id, expectedRev, next, ttl, successor, audit = []) => group.write((now) => exchange(id, expectedRev, next, ttl, successor, audit, now)),
    loadPresented: (tokenHash) =>
      group.read((now) => {
        const row = selectPresented.get({ tokenHash, now });
        if (row === undefined) return null;
        return { id: row.id, envelope: codec.decode(row.id, row.envelope), user: optionalJson<User>(row.user), credential: optionalJson<Credential>(row.credential) };
      }),
    loadSession: (id) =>
      group.read((now) => {
        const row = selectSession.get({ id, now });
        return row === undefined ? null : { envelope: codec.decode(id, row.envelope), user: optionalJson<User>(row.user) };
      }),
    findIdByTokenHash: (tokenHash) => group.read((now) => selectIdByHash.get({ tokenHash, now })?.id ?? null),
    loadByTokenHash: (tokenHash) =>
      group.read((now) => {
        const row = selectByHash.get({ tokenHash, now });
        return row === undefined ? null : { id: row.id, envelope: codec.decode(row.id, row.envelope) };
      }),
    listByUser: (userId) =>
      group.read((now) =>
        selectByUser
          .all({ userId, now })
          .flatMap((row) => codec.decodeOrSkip(row.id, row.envelope).map((envelope) => ({ id: row.id, envelope }))),
      ),
  };
}
