/**
 * The stored text of an envelope, shared by every adapter. Only the frame `{machine, v, rev, snapshot}`
 * is checked here; the snapshot is src/stores/envelope.ts's to migrate and validate.
 */
import type { Envelope } from './types.js';

/** Stored text that is not an envelope (edited by hand, written by a foreign tool): treated as expired. */
export class UnreadableRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreadableRecordError';
  }
}

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { machine, v, rev } = value as Record<string, unknown>;
  return typeof machine === 'string' && typeof v === 'number' && typeof rev === 'number' && 'snapshot' in value;
}

export function decodeEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnreadableRecordError('stored envelope is not JSON', { cause: error });
  }
  if (!isEnvelope(value)) throw new UnreadableRecordError('stored envelope is not {machine, v, rev, snapshot}');
  return value;
}

/** For listings: a record that cannot be read is left out (a `load` of its id reports it). */
export function decodeEnvelopeOrSkip(text: string): Envelope[] {
  try {
    return [decodeEnvelope(text)];
  } catch (error) {
    if (error instanceof UnreadableRecordError) return [];
    throw error;
  }
}

/**
 * The stored rev drives compare-and-set and must equal the envelope's own (types.ts: rev 1 on create,
 * expectedRev + 1 on compare-and-set); a caller breaking the rule has a bug, which must not be
 * written down as a revision that never happened.
 */
export function assertRev(envelope: Envelope, expected: number): void {
  if (envelope.rev !== expected) throw new RangeError(`envelope rev must be ${expected}, got ${envelope.rev}`);
}
