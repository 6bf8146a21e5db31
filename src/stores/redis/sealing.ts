/**
 * Sealing on Redis (sealing/sealing-marker.ts): the marker is the string `sealed-with`; the pass is a
 * SCAN of the deployment's keys that seals again, with the first key, every refresh token's and MFA
 * setup flow's envelope secret, MFA secret and deployment-wide secret not sealed with it. Instances
 * may serve meanwhile, so each value is swapped only if it is still the text that was read
 * (scripts/sealing-scripts.ts): a write in between sealed it already. Several instances starting with
 * a new key may each run the pass; the swaps make that harmless.
 */
import { UnreadableRecordError, type EnvelopeCodec } from '../envelope-codec.js';
import { resealStored } from '../sealing/open-stored.js';
import { sealedPlace } from '../sealing/sealed-places.js';
import type { Sealer } from '../sealing/sealer.js';
import { isSealedWithFirstKey, newMarker, newSealingPass, type SealingPass } from '../sealing/sealing-marker.js';
import type { Run } from './guard.js';
import type { KeyWalk } from './key-walk.js';
import type { RedisKeys } from './keys.js';
import { escapeGlob } from './record-counts.js';

const SECRET_FIELD = 'secret:';

/** Runs the pass when the marker asks for it; null when every secret was sealed with the first key already. */
export async function sealStoredSecretsIfMarked(run: Run, keys: RedisKeys, walk: KeyWalk, sealer: Sealer, codec: EnvelopeCodec): Promise<SealingPass | null> {
  const marker = await run('sealing.marker', (client) => client.get(keys.sealingMarker));
  return isSealedWithFirstKey(sealer, marker) ? null : sealStoredSecrets(run, keys, walk, sealer, codec);
}

/** The pass (types.ts `Store.sealSecrets`). */
export async function sealStoredSecrets(run: Run, keys: RedisKeys, walk: KeyWalk, sealer: Sealer, codec: EnvelopeCodec): Promise<SealingPass> {
  const pass = newSealingPass(sealer);

  // `reseal` gives the text to store instead of `stored`, or null when it is current.
  const swap = async (key: string, field: string, stored: string, reseal: () => string | null) => {
    let text: string | null;
    try {
      text = reseal();
    } catch (error) {
      if (!(error instanceof UnreadableRecordError)) throw error;
      pass.unreadable += 1;
      return;
    }
    if (text === null) return;
    const args = [field, stored, text];
    if ((await run.write('sealing.reseal', (client) => client.storedTextSwap([key], args))) === 1) pass.resealed += 1;
  };

  const visit = async (key: string) => {
    const { family, rest } = keys.nameOf(key) ?? { family: '', rest: '' };
    if (family === 'rt' || family === 'mfa-flow') {
      const env = await run('sealing.read', (client) => client.hGet(key, 'env'));
      if (env !== null) await swap(key, 'env', env, () => codec.reseal(rest, env));
    } else if (family === 'mfa') {
      const userId = rest;
      const fields = Object.entries(await run('sealing.read', (client) => client.hGetAll(key)));
      const secrets = fields.filter(([field]) => field.startsWith(SECRET_FIELD));
      await Promise.all(
        secrets.map(([field, value]) =>
          swap(key, field, value, () => resealStored(sealer, value, sealedPlace.mfaSecret(field.slice(SECRET_FIELD.length), userId))),
        ),
      );
    } else if (family === 'secret') {
      const value = await run('sealing.read', (client) => client.get(key));
      if (value !== null) await swap(key, '', value, () => resealStored(sealer, value, sealedPlace.secret(rest)));
    }
  };

  await walk('sealing.scan', `${escapeGlob(keys.prefix)}*`, async (found) => {
    await Promise.all(found.map(visit));
  });
  await run.write('sealing.marker', (client) => client.set(keys.sealingMarker, newMarker(sealer)));
  return pass;
}
