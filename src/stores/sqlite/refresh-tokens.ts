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
import { storedUse, withStoredUse } from '../refresh-token-use.js';
import type { RecordedUse } from '../../../machines/refresh-token.js';
import { envelopeTable, LIVE, type EnvelopeRow, type EnvelopeTableOperations } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';

interface InsertParameters {
  id: string;
  rev: number;
  envelope: string;
  tokenHash: string;
  userId: string;
}

/** A token's row as its reads select it: the envelope and the last use kept beside it (a type, so that it is an EnvelopeRow). */
type UsedRow = {
  envelope: string;
  last_used_at: number | null;
  last_used_ip: string | null;
};

type PresentedRow = UsedRow & {
  id: string;
  user: string | null;
  credential: string | null;
};

/** Users and credentials rows hold only what their adapters wrote (user-records.ts, credentials.ts). */
export const optionalJson = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

/**
 * `create` as synchronous statements, for a unit of group-commit.ts that writes more in the same
 * savepoint (a rotation, a code's redemption: sqlite/grants.ts). `ON CONFLICT DO NOTHING` covers both
 * the id and the hash; expired rows first give way.
 */
export function refreshTokenInsert(
  db: Database,
  group: GroupCommit,
  codec: EnvelopeCodec,
  keepAudit: KeepAudit,
): (keys: RefreshTokenKeys, envelope: Envelope, audit: readonly AuditEntry[], now: number) => boolean {
  const { dropIfExpired } = envelopeTable(db, group, 'refresh_tokens', codec, keepAudit);
  const insert = db.prepare<InsertParameters>(
    `INSERT INTO refresh_tokens (id, rev, envelope, expires_at, token_hash, user_id)
     VALUES (@id, @rev, @envelope, NULL, @tokenHash, @userId)
     ON CONFLICT DO NOTHING`,
  );
  const deleteExpiredHash = db.prepare<{ tokenHash: string; now: number }>(
    `DELETE FROM refresh_tokens WHERE token_hash = @tokenHash AND expires_at <= @now`,
  );

  return (keys: RefreshTokenKeys, envelope: Envelope, audit: readonly AuditEntry[], now: number): boolean => {
    assertRev(envelope, 1);
    dropIfExpired(keys.id, now);
    deleteExpiredHash.run({ tokenHash: keys.tokenHash, now });
    const { id, userId, tokenHash } = keys;
    if (insert.run({ id, userId, tokenHash, rev: envelope.rev, envelope: codec.encode(id, envelope) }).changes !== 1) return false;
    keepAudit(audit);
    return true;
  };
}

type CompareAndSetNow = EnvelopeTableOperations['compareAndSetNow'];
type TokenInsert = ReturnType<typeof refreshTokenInsert>;

/**
 * A record's compare-and-set and a token's creation as one unit, so one savepoint: a token that
 * cannot be created undoes the compare-and-set (RangeError). The rotation's write (the token's
 * successor) and the code exchange's (the token a grant produces: sqlite/grants.ts).
 */
export function compareAndSetCreating(compareAndSetNow: CompareAndSetNow, create: TokenInsert) {
  return (
    id: string,
    expectedRev: number,
    next: Envelope,
    ttl: TtlChange,
    token: { keys: RefreshTokenKeys; envelope: Envelope },
    audit: readonly AuditEntry[],
    now: number,
  ): CasResult => {
    assertRev(token.envelope, 1);
    const written = compareAndSetNow(id, expectedRev, next, ttl, [], now);
    if (written.ok && !create(token.keys, token.envelope, audit, now)) {
      throw new RangeError(`refresh token ${token.keys.id}: its id or hash is taken`);
    }
    return written;
  };
}

export function sqliteRefreshTokens(db: Database, group: GroupCommit, codec: EnvelopeCodec, keepAudit: KeepAudit): RefreshTokenStore {
  // The token's envelope with its last use, kept beside it, merged in (refresh-token-use.ts).
  const decodeToken = (id: string, row: EnvelopeRow): Envelope => withStoredUse(codec.decode(id, row.envelope), storedUse(row.last_used_at, row.last_used_ip));
  const table = envelopeTable(db, group, 'refresh_tokens', codec, keepAudit, decodeToken);
  const { load, compareAndSet, delete: remove, compareAndSetNow } = table;
  const USED = 'last_used_at, last_used_ip';
  const selectIdByHash = db.prepare<{ tokenHash: string; now: number }, { id: string }>(
    `SELECT id FROM refresh_tokens WHERE token_hash = @tokenHash AND ${LIVE}`,
  );
  const selectByHash = db.prepare<{ tokenHash: string; now: number }, UsedRow & { id: string }>(
    `SELECT id, envelope, ${USED} FROM refresh_tokens WHERE token_hash = @tokenHash AND ${LIVE}`,
  );
  // One statement each (issue 16): the token with its user and the credential its snapshot names.
  const selectPresented = db.prepare<{ tokenHash: string; now: number }, PresentedRow>(
    `SELECT t.id, t.envelope, t.last_used_at, t.last_used_ip, u.user, c.credential
       FROM refresh_tokens t
       LEFT JOIN users u ON u.id = t.user_id
       LEFT JOIN credentials c ON c.id = json_extract(t.envelope, '$.snapshot.context.credentialId')
      WHERE t.token_hash = @tokenHash AND (t.expires_at IS NULL OR t.expires_at > @now)`,
  );
  const selectSession = db.prepare<{ id: string; now: number }, Omit<PresentedRow, 'id' | 'credential'>>(
    `SELECT t.envelope, t.last_used_at, t.last_used_ip, u.user
       FROM refresh_tokens t LEFT JOIN users u ON u.id = t.user_id
      WHERE t.id = @id AND (t.expires_at IS NULL OR t.expires_at > @now)`,
  );
  const selectByUser = db.prepare<{ userId: string; now: number }, UsedRow & { id: string }>(
    `SELECT id, envelope, ${USED} FROM refresh_tokens WHERE user_id = @userId AND ${LIVE}`,
  );
  // The latest use wins whatever order racing uses commit in: the right-hand sides read the row as it was.
  const updateUse = db.prepare<{ id: string; expectedRev: number; at: number; ip: string | null; now: number }>(
    `UPDATE refresh_tokens
        SET last_used_at = MAX(COALESCE(last_used_at, @at), @at),
            last_used_ip = CASE WHEN last_used_at IS NULL OR last_used_at < @at THEN @ip ELSE last_used_ip END
      WHERE id = @id AND rev = @expectedRev AND ${LIVE}`,
  );
  const recordUse = (id: string, expectedRev: number, { at, ip }: RecordedUse, audit: readonly AuditEntry[], now: number): CasResult => {
    if (updateUse.run({ id, expectedRev, at, ip, now }).changes !== 1) return { ok: false, current: table.loadNow(id, now) };
    keepAudit(audit);
    return { ok: true };
  };
  const create = refreshTokenInsert(db, group, codec, keepAudit);

  const exchange = compareAndSetCreating(compareAndSetNow, create);

  return {
    load,
    compareAndSet,
    delete: remove,
    create: (keys, envelope, audit = []) => group.write((now) => create(keys, envelope, audit, now)),
    exchange: (id, expectedRev, next, ttl, successor, audit = []) => group.write((now) => exchange(id, expectedRev, next, ttl, successor, audit, now)),
    recordUse: (id, expectedRev, use, audit = []) => group.write((now) => recordUse(id, expectedRev, use, audit, now)),
    loadPresented: (tokenHash) =>
      group.read((now) => {
        const row = selectPresented.get({ tokenHash, now });
        if (row === undefined) return null;
        return { id: row.id, envelope: decodeToken(row.id, row), user: optionalJson<User>(row.user), credential: optionalJson<Credential>(row.credential) };
      }),
    loadSession: (id) =>
      group.read((now) => {
        const row = selectSession.get({ id, now });
        return row === undefined ? null : { envelope: decodeToken(id, row), user: optionalJson<User>(row.user) };
      }),
    findIdByTokenHash: (tokenHash) => group.read((now) => selectIdByHash.get({ tokenHash, now })?.id ?? null),
    loadByTokenHash: (tokenHash) =>
      group.read((now) => {
        const row = selectByHash.get({ tokenHash, now });
        return row === undefined ? null : { id: row.id, envelope: decodeToken(row.id, row) };
      }),
    listByUser: (userId) =>
      group.read((now) =>
        selectByUser
          .all({ userId, now })
          .flatMap((row) => codec.decodeOrSkip(row.id, row.envelope).map((envelope) => ({ id: row.id, envelope: withStoredUse(envelope, storedUse(row.last_used_at, row.last_used_ip)) }))),
      ),
  };
}
