/**
 * Secrets the adapters keep outside envelopes (MFA secrets, deployment-wide secrets), opened as they
 * are read. One that no given key opens is treated as an unreadable record (envelope-codec.ts): the
 * caller decides what that means, never a 500.
 */
import { UnreadableRecordError } from '../envelope-codec.js';
import { SealedValueError, type Sealer } from './sealer.js';

/** The plaintext of `stored`; throws UnreadableRecordError when it does not open at `place`. */
export function openStored(sealer: Sealer, stored: string, place: string): string {
  try {
    return sealer.open(stored, place);
  } catch (error) {
    if (error instanceof SealedValueError) throw new UnreadableRecordError(`stored secret: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Whether `stored` opens at `place` to `plaintext`: a compare before a compare-and-set on the stored text. */
export function opensTo(sealer: Sealer, stored: string, place: string, plaintext: string): boolean {
  try {
    return sealer.open(stored, place) === plaintext;
  } catch (error) {
    if (error instanceof SealedValueError) return false;
    throw error;
  }
}

/** `stored` sealed with the first key; null when it is already. Throws UnreadableRecordError as `openStored`. */
export function resealStored(sealer: Sealer, stored: string, place: string): string | null {
  return sealer.isCurrent(stored) ? null : sealer.seal(openStored(sealer, stored, place), place);
}
