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
import type { RedisKeys } from './keys.js';
import { escapeGlob } from './record-counts.js';

const SCAN_COUNT = 1_000;
const SECRET_FIELD = 'secret:';

/** Runs the pass when the marker asks for it; null when every secret was sealed with the first key already. */
export async function sealStoredSecretsIfMarked(run: Run, keys: RedisKeys, sealer: Sealer, codec: EnvelopeCodec): Promise<SealingPass | null> {
  const marker = await run('sealing.marker', (client) => client.get(keys.sealingMarker));
  return isSealedWithFirstKey(sealer, marker) ? null : sealStoredSecrets(run, keys, sealer, codec);
}

/** The pass (types.ts `Store.sealSecrets`). */
export async function sealStoredSecrets(run: Run, keys: RedisKeys, sealer: Sealer, codec: EnvelopeCodec): Promise<SealingPass> {
  const pass = newSealingPass(sealer);
  const envelopeStems = [keys.refreshToken(''), keys.mfaSetupFlow('')];
  const [mfaStem, secretStem] = [keys.mfa(''), keys.secret('')];

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
    const envelopeStem = envelopeStems.find((stem) => key.startsWith(stem));
    if (envelopeStem !== undefined) {
      const id = key.slice(envelopeStem.length);
      const env = await run('sealing.read', (client) => client.hGet(key, 'env'));
      if (env !== null) await swap(key, 'env', env, () => codec.reseal(id, env));
    } else if (key.startsWith(mfaStem)) {
      const userId = key.slice(mfaStem.length);
      const fields = Object.entries(await run('sealing.read', (client) => client.hGetAll(key)));
      const secrets = fields.filter(([field]) => field.startsWith(SECRET_FIELD));
      await Promise.all(
        secrets.map(([field, value]) =>
          swap(key, field, value, () => resealStored(sealer, value, sealedPlace.mfaSecret(field.slice(SECRET_FIELD.length), userId))),
        ),
      );
    } else if (key.startsWith(secretStem)) {
      const value = await run('sealing.read', (client) => client.get(key));
      if (value !== null) await swap(key, '', value, () => resealStored(sealer, value, sealedPlace.secret(key.slice(secretStem.length))));
    }
  };

  let cursor = '0';
  do {
    const step = await run('sealing.scan', (client) => client.scan(cursor, { MATCH: `${escapeGlob(keys.prefix)}*`, COUNT: SCAN_COUNT }));
    await Promise.all(step.keys.map(visit));
    cursor = step.cursor;
  } while (cursor !== '0');
  await run.write('sealing.marker', (client) => client.set(keys.sealingMarker, newMarker(sealer)));
  return pass;
}
