/**
 * Sealing on the embedded store (sealing/sealing-marker.ts): the marker is the one row of `sealing`;
 * the pass seals again, with the first key, every envelope secret (refresh tokens, MFA setup flows),
 * MFA secret and deployment-wide secret that is not sealed with it, rows past their TTL included
 * (they are on disk until swept). One transaction, and this process holds the database alone
 * (data-dir-lock.ts), so nothing can write in between and no compare-and-set is needed.
 */
import type { Database } from 'better-sqlite3';
import { UnreadableRecordError, type EnvelopeCodec } from '../envelope-codec.js';
import { resealStored } from '../sealing/open-stored.js';
import { sealedPlace } from '../sealing/sealed-places.js';
import type { Sealer } from '../sealing/sealer.js';
import { isSealedWithFirstKey, newMarker, newSealingPass, type SealingPass } from '../sealing/sealing-marker.js';

export function readSealingMarker(db: Database): string | null {
  return db.prepare<[], { marker: string }>('SELECT marker FROM sealing').get()?.marker ?? null;
}

/** Runs the pass when the marker asks for it; null when every secret was sealed with the first key already. */
export function sealStoredSecretsIfMarked(db: Database, sealer: Sealer, codec: EnvelopeCodec): SealingPass | null {
  return isSealedWithFirstKey(sealer, readSealingMarker(db)) ? null : sealStoredSecrets(db, sealer, codec);
}

/** The pass (types.ts `Store.sealSecrets`). */
export function sealStoredSecrets(db: Database, sealer: Sealer, codec: EnvelopeCodec): SealingPass {
  const pass = newSealingPass(sealer);
  // `reseal` gives the new stored text, or null when it is current; it throws UnreadableRecordError.
  const visit = (reseal: () => string | null, write: (text: string) => void) => {
    try {
      const text = reseal();
      if (text === null) return;
      write(text);
      pass.resealed += 1;
    } catch (error) {
      if (!(error instanceof UnreadableRecordError)) throw error;
      pass.unreadable += 1;
    }
  };

  db.transaction(() => {
    for (const table of ['refresh_tokens', 'mfa_setup_flows'] as const) {
      const update = db.prepare<[string, string]>(`UPDATE ${table} SET envelope = ? WHERE id = ?`);
      for (const { id, envelope } of db.prepare<[], { id: string; envelope: string }>(`SELECT id, envelope FROM ${table}`).all()) {
        visit(() => codec.reseal(id, envelope), (text) => update.run(text, id));
      }
    }
    const updateMfa = db.prepare<[string, string, string]>('UPDATE mfa_secrets SET secret = ? WHERE module_id = ? AND user_id = ?');
    const mfaRows = db.prepare<[], { moduleId: string; userId: string; secret: string }>('SELECT module_id AS moduleId, user_id AS userId, secret FROM mfa_secrets');
    for (const { moduleId, userId, secret } of mfaRows.all()) {
      visit(() => resealStored(sealer, secret, sealedPlace.mfaSecret(moduleId, userId)), (text) => updateMfa.run(text, moduleId, userId));
    }
    const updateSecret = db.prepare<[string, string]>('UPDATE secrets SET value = ? WHERE name = ?');
    for (const { name, value } of db.prepare<[], { name: string; value: string }>('SELECT name, value FROM secrets').all()) {
      visit(() => resealStored(sealer, value, sealedPlace.secret(name)), (text) => updateSecret.run(text, name));
    }
    db.prepare<[string]>('INSERT INTO sealing (one, marker) VALUES (1, ?) ON CONFLICT DO UPDATE SET marker = excluded.marker').run(newMarker(sealer));
  })();
  return pass;
}
