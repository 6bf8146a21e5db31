/**
 * Login grants (authorization codes): envelopes under the SHA-256 of the code with a 10-minute TTL
 * (sqlite/actor-records.ts), plus the code exchange's one read and one write (issue 16): the grant
 * with the login it names and that login's user in one statement, and the grant's redemption with
 * the refresh token it produces in one unit of group-commit.ts.
 */
import type { Database } from 'better-sqlite3';
import type { Credential, User } from '../../domain/models.js';
import type { GrantStore } from '../types.js';
import type { KeepAudit } from './audit.js';
import type { EnvelopeCodec } from '../envelope-codec.js';
import { sqliteActorRecords } from './actor-records.js';
import { envelopeTable } from './envelope-table.js';
import type { GroupCommit } from './group-commit.js';
import { compareAndSetCreating, optionalJson, refreshTokenInsert } from './refresh-tokens.js';

interface RedemptionRow {
  envelope: string;
  credential: string | null;
  user: string | null;
}

export function sqliteGrants(db: Database, group: GroupCommit, codec: EnvelopeCodec, keepAudit: KeepAudit): GrantStore {
  const records = sqliteActorRecords(db, group, 'grants', codec, keepAudit);
  const { compareAndSetNow } = envelopeTable(db, group, 'grants', codec, keepAudit);
  const redeem = compareAndSetCreating(compareAndSetNow, refreshTokenInsert(db, group, codec, keepAudit));
  // Text that is not JSON names no credential: the row is still read, and decoding it reports it.
  const selectRedemption = db.prepare<{ id: string; now: number }, RedemptionRow>(
    `SELECT g.envelope, c.credential, u.user
       FROM grants g
       LEFT JOIN credentials c
         ON c.id = CASE WHEN json_valid(g.envelope) THEN json_extract(g.envelope, '$.snapshot.context.credential.id') END
       LEFT JOIN users u ON u.id = c.user_id
      WHERE g.id = @id AND (g.expires_at IS NULL OR g.expires_at > @now)`,
  );
  return {
    ...records,
    loadRedemption: (id) =>
      group.read((now) => {
        const row = selectRedemption.get({ id, now });
        if (row === undefined) return null;
        return { envelope: codec.decode(id, row.envelope), credential: optionalJson<Credential>(row.credential), user: optionalJson<User>(row.user) };
      }),
    redeem: (id, expectedRev, next, ttl, token, audit = []) => group.write((now) => redeem(id, expectedRev, next, ttl, token, audit, now)),
  };
}
