/**
 * The stored text of an envelope, shared by every adapter. Only the frame `{machine, v, rev, snapshot}`
 * is checked here; the snapshot is src/stores/envelope.ts's to migrate and validate. The adapters
 * write and read through an EnvelopeCodec, which seals the secret fields of the text it writes and
 * opens those of the text it reads (sealing/sealed-places.ts), so that no secret is stored in the
 * clear while services and machines see plain values.
 */
import { needsResealing, openEnvelope, sealEnvelope } from './sealing/sealed-places.js';
import { SealedValueError, type Sealer } from './sealing/sealer.js';
import { BoundedMap } from '../domain/bounded-map.js';
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

/** Records whose decoded envelope a process keeps (about 3 KB each with its text). */
const DECODED_REMEMBERED = 2048;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** How an adapter turns envelopes into stored text and back; `id` is the record's, the place its secrets are bound to. */
export interface EnvelopeCodec {
  encode(id: string, envelope: Envelope): string;
  /**
   * Rejects with UnreadableRecordError when the text is not an envelope or a secret field does not
   * open (sealed with a key not given, or altered): the record is treated as expired, never a 500.
   */
  decode(id: string, text: string): Envelope;
  /**
   * For listings: a record that cannot be read is left out (a `load` of its id reports it). What it
   * decodes is not remembered (and not frozen): a listing must not push out the records in use.
   */
  decodeOrSkip(id: string, text: string): Envelope[];
  /** The text with its secret fields sealed with the first key; null when they are already. Throws as `decode`. */
  reseal(id: string, text: string): string | null;
}

export function envelopeCodec(sealer: Sealer): EnvelopeCodec {
  const open = (id: string, envelope: Envelope): Envelope => {
    try {
      return openEnvelope(sealer, id, envelope);
    } catch (error) {
      if (error instanceof SealedValueError) throw new UnreadableRecordError(`stored envelope's secret: ${error.message}`, { cause: error });
      throw error;
    }
  };
  // The envelope each record's text last decoded to: a token's text stays the same through all its
  // Bearer requests and refresh grants (its uses are stored beside it), and parsing and opening it
  // again cost each of them a few µs. Keyed by id and compared by text, so that a text only ever
  // gives what it decodes to; frozen, since every reader of that text shares it.
  const decoded = new BoundedMap<string, { text: string; envelope: Envelope }>(DECODED_REMEMBERED);
  const remembered = (id: string, text: string): Envelope | undefined => {
    const known = decoded.get(id);
    return known?.text === text ? known.envelope : undefined;
  };
  const decode = (id: string, text: string): Envelope =>
    remembered(id, text) ?? decoded.set(id, { text, envelope: deepFreeze(open(id, decodeEnvelope(text))) }).envelope;
  return {
    encode: (id, envelope) => encodeEnvelope(sealEnvelope(sealer, id, envelope)),
    decode,
    decodeOrSkip: (id, text) => {
      try {
        // A listing (a user's tokens, the inspection's every record) reads through what is
        // remembered but adds nothing to it: thousands of records read once would push out the
        // tokens in use, and each would be frozen for nobody.
        return [remembered(id, text) ?? open(id, decodeEnvelope(text))];
      } catch (error) {
        if (error instanceof UnreadableRecordError) return [];
        throw error;
      }
    },
    reseal: (id, text) => {
      const stored = decodeEnvelope(text);
      return needsResealing(sealer, stored) ? encodeEnvelope(sealEnvelope(sealer, id, open(id, stored))) : null;
    },
  };
}

/**
 * The stored rev drives compare-and-set and must equal the envelope's own (types.ts: rev 1 on create,
 * expectedRev + 1 on compare-and-set); a caller breaking the rule has a bug, which must not be
 * written down as a revision that never happened.
 */
export function assertRev(envelope: Envelope, expected: number): void {
  if (envelope.rev !== expected) throw new RangeError(`envelope rev must be ${expected}, got ${envelope.rev}`);
}
