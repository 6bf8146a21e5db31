import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, keyIdOf, SealedValueError, sealedKeyId } from '../../../src/stores/sealing/sealer.js';

const [oldKey, newKey, otherKey] = [randomBytes(32), randomBytes(32), randomBytes(32)];
const JWT_KEY = randomBytes(64).toString('hex');
const PLACE = 'record\0refreshToken\0rt1\0jwtKey';

/** `stored` with one base64url character of its body changed. */
function altered(stored: string, at: number): string {
  const index = stored.length - at;
  const swapped = stored[index] === 'A' ? 'B' : 'A';
  return stored.slice(0, index) + swapped + stored.slice(index + 1);
}

describe('sealer', () => {
  it('seals to `sealed:<key id>:…`, which holds nothing of the plaintext, and opens it back', () => {
    const sealer = createSealer([newKey], 'SECRETS_KEY');
    const sealed = sealer.seal(JWT_KEY, PLACE);
    expect(sealed).toMatch(/^sealed:[0-9a-f]{8}:[A-Za-z0-9_-]+$/);
    expect(sealedKeyId(sealed)).toBe(keyIdOf(newKey));
    expect(sealed).not.toContain(JWT_KEY.slice(0, 16));
    expect(sealer.open(sealed, PLACE)).toBe(JWT_KEY);
    expect(sealer.isCurrent(sealed)).toBe(true);
  });

  it('seals the same secret differently in each process (random nonces), and as it did before within one', () => {
    const [one, another] = [createSealer([newKey], 'SECRETS_KEY'), createSealer([newKey], 'SECRETS_KEY')];
    const sealed = one.seal(JWT_KEY, PLACE);
    expect(another.seal(JWT_KEY, PLACE)).not.toBe(sealed);
    // A record written again with its secret unchanged keeps its text: a rotation's successor is sealed once.
    expect(one.seal(JWT_KEY, PLACE)).toBe(sealed);
    expect(one.seal(JWT_KEY, 'elsewhere')).not.toBe(sealed);
  });

  it('seals a secret it opened with the first key as the same text again: a refresh grant encrypts nothing', () => {
    const writer = createSealer([newKey], 'SECRETS_KEY');
    const sealed = writer.seal(JWT_KEY, PLACE);
    const reader = createSealer([newKey], 'SECRETS_KEY');
    expect(reader.open(sealed, PLACE)).toBe(JWT_KEY);
    expect(reader.seal(JWT_KEY, PLACE)).toBe(sealed);
    // Bound to its place: the same secret elsewhere is sealed anew.
    expect(reader.seal(JWT_KEY, 'elsewhere')).not.toBe(sealed);
  });

  it('opens nothing moved to another place, altered anywhere, or cut short', () => {
    const sealer = createSealer([newKey], 'SECRETS_KEY');
    const sealed = sealer.seal(JWT_KEY, PLACE);
    expect(() => sealer.open(sealed, 'record\0refreshToken\0rt2\0jwtKey')).toThrow(SealedValueError);
    for (const at of [1, 20, 60, sealed.length - 'sealed:12345678:'.length]) expect(() => sealer.open(altered(sealed, at), PLACE)).toThrow(SealedValueError);
    expect(() => sealer.open(sealed.slice(0, 30), PLACE)).toThrow(SealedValueError);
  });

  it('names the key a value needs and where the keys came from, never a key', () => {
    const sealed = createSealer([otherKey], 'SECRETS_KEY').seal(JWT_KEY, PLACE);
    const sealer = createSealer([newKey], 'SECRETS_KEY');
    expect(() => sealer.open(sealed, PLACE)).toThrow(`sealed with key ${keyIdOf(otherKey)}, which SECRETS_KEY does not hold`);
    try {
      sealer.open(sealed, PLACE);
    } catch (error) {
      expect(String(error)).not.toContain(newKey.toString('hex'));
      expect(String(error)).not.toContain(otherKey.toString('hex'));
    }
  });

  it('with a new key first and the old one after, opens what either sealed and seals with the new one', () => {
    const before = createSealer([oldKey], 'SECRETS_KEY').seal(JWT_KEY, PLACE);
    const rotating = createSealer([newKey, oldKey], 'SECRETS_KEY');
    expect(rotating.keyIds).toEqual([keyIdOf(newKey), keyIdOf(oldKey)]);
    expect(rotating.open(before, PLACE)).toBe(JWT_KEY);
    expect(rotating.isCurrent(before)).toBe(false);
    const after = rotating.seal(JWT_KEY, PLACE);
    expect(sealedKeyId(after)).toBe(keyIdOf(newKey));
    expect(createSealer([newKey], 'SECRETS_KEY').open(after, PLACE)).toBe(JWT_KEY);
  });

  it('reads a value stored before sealing as it is, and does not count it as sealed', () => {
    const sealer = createSealer([newKey], 'SECRETS_KEY');
    expect(sealer.open(JWT_KEY, PLACE)).toBe(JWT_KEY);
    expect(sealer.isCurrent(JWT_KEY)).toBe(false);
    expect(sealedKeyId(JWT_KEY)).toBeNull();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => createSealer([], 'x')).toThrow(RangeError);
    expect(() => createSealer([randomBytes(16)], 'x')).toThrow(RangeError);
  });
});
