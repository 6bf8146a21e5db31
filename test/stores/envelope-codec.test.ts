/** The codec the adapters store envelopes through (src/stores/envelope-codec.ts): what it remembers of the texts it decoded. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { envelopeCodec, UnreadableRecordError } from '../../src/stores/envelope-codec.js';
import { createSealer } from '../../src/stores/sealing/sealer.js';
import type { Envelope } from '../../src/stores/types.js';

const token = (rev: number, jwtKey: string): Envelope => ({ machine: 'refreshToken', v: 2, rev, snapshot: { status: 'active', value: 'issued', context: { jwtKey, family: { generation: 1 } } } });

describe('envelope codec', () => {
  it('gives one frozen envelope for a record\'s text however often it is decoded, and the new one once the text changes', () => {
    const codec = envelopeCodec(createSealer([randomBytes(32)], 'test'));
    const first = token(1, 'a'.repeat(128));
    const text = codec.encode('r1', first);
    const decoded = codec.decode('r1', text);
    expect(decoded).toEqual(first);
    expect(codec.decode('r1', text)).toBe(decoded);
    expect(Object.isFrozen((decoded.snapshot as { context: { family: object } }).context.family)).toBe(true);
    const second = token(2, 'a'.repeat(128));
    expect(codec.decode('r1', codec.encode('r1', second))).toEqual(second);
  });

  it('opens a text for the record it was sealed for only, whether or not that record decoded it first', () => {
    const codec = envelopeCodec(createSealer([randomBytes(32)], 'test'));
    const text = codec.encode('r1', token(1, 'b'.repeat(128)));
    expect(() => codec.decode('r2', text)).toThrow(UnreadableRecordError);
    codec.decode('r1', text);
    expect(() => codec.decode('r2', text)).toThrow(UnreadableRecordError);
  });

  it('reads a listing through what it remembers without adding to it, so that a long listing leaves the records in use remembered', () => {
    const codec = envelopeCodec(createSealer([randomBytes(32)], 'test'));
    const hotText = codec.encode('hot', token(1, 'c'.repeat(128)));
    const hot = codec.decode('hot', hotText);
    expect(codec.decodeOrSkip('hot', hotText)).toEqual([hot]);
    expect(codec.decodeOrSkip('hot', hotText)[0]).toBe(hot);
    // Twice as many records as the codec remembers (DECODED_REMEMBERED, 2048), each listed once.
    for (let index = 0; index < 4096; index++) {
      const id = `listed-${index}`;
      const envelope = token(1, 'd'.repeat(128));
      const [listed] = codec.decodeOrSkip(id, codec.encode(id, envelope));
      expect(listed).toEqual(envelope);
      expect(Object.isFrozen(listed)).toBe(false);
    }
    expect(codec.decode('hot', hotText)).toBe(hot);
    expect(codec.decodeOrSkip('unreadable', 'not json')).toEqual([]);
  });
});
