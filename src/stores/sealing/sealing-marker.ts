/**
 * The marker: one sealed value that each store keeps beside its secrets and that says which key they
 * are all sealed with. Opening a store reads it (one read):
 *
 * - it opens with the first key given: every secret is sealed with that key; nothing to do;
 * - it opens with another key given (a rotation: new key first, old one after), or there is none (a
 *   store written before sealing, or a new one): the store seals again, with the first key, every
 *   secret that is not sealed with it (a pass with compare-and-set, at most once per key), then
 *   writes the marker with the first key;
 * - it names a key that is not given: the keys are wrong, and the store refuses to open, naming the
 *   key id it needs, instead of serving with every session and TOTP secret unreadable.
 *
 * Why a pass at the first start rather than sealing each record at its next write: a record nobody
 * writes again (a long-lived access token's, which lives ten years; a TOTP secret; an idle session)
 * would stay in the clear for as long as it lives, which is what sealing is for. Records are still
 * read in the clear meanwhile, and writes always seal, so the pass may run while instances serve.
 */
import type { Logger } from '../../domain/logger.js';
import { SealingKeyError } from './secrets-keys.js';
import { sealedPlace } from './sealed-places.js';
import { SealedValueError, sealedKeyId, type Sealer } from './sealer.js';

const MARKER_TEXT = 'hass-auth sealed secrets';

/** Whether the store's secrets are all sealed with the first key; throws SealingKeyError for keys that do not fit. */
export function isSealedWithFirstKey(sealer: Sealer, marker: string | null): boolean {
  if (marker === null) return false;
  const keyId = sealedKeyId(marker);
  // A marker that names a key given but does not open was altered: the keys are right, so the
  // store is sealed again with the first one (what does not open stays unreadable) and marked anew.
  if (keyId !== null && sealer.keyIds.includes(keyId)) return opensAsMarker(sealer, marker) && sealer.isCurrent(marker);
  throw new SealingKeyError(
    `the store's secrets are sealed with key ${keyId ?? '(none)'}, which ${sealer.source} does not hold ` +
      `(it holds ${sealer.keyIds.join(', ')}); give that key, after the new one to rotate`,
  );
}

function opensAsMarker(sealer: Sealer, marker: string): boolean {
  try {
    return sealer.open(marker, sealedPlace.marker) === MARKER_TEXT;
  } catch (error) {
    if (error instanceof SealedValueError) return false;
    throw error;
  }
}

export function newMarker(sealer: Sealer): string {
  return sealer.seal(MARKER_TEXT, sealedPlace.marker);
}

/** What a pass did: the first key's id, values sealed again with it, and values no key opens (left as they are). */
export interface SealingPass {
  keyId: string;
  resealed: number;
  unreadable: number;
}

export function newSealingPass(sealer: Sealer): SealingPass {
  return { keyId: sealer.keyIds[0] as string, resealed: 0, unreadable: 0 };
}

/** Tells of a pass at start that found something: a new store's says nothing. */
export function logSealingPass(logger: Logger | undefined, pass: SealingPass, ms: number): void {
  if (pass.resealed === 0 && pass.unreadable === 0) return;
  const details = { ...pass, ms: Math.round(ms) };
  if (pass.unreadable > 0) logger?.warn(details, 'stored secrets sealed with the first key; some open with no key given and stay unreadable');
  else logger?.info(details, 'stored secrets sealed with the first key');
}
