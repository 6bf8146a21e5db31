import { describe, expect, it } from 'vitest';
import {
  BCRYPT_ROUNDS,
  DUMMY_HASH,
  checkAgainstDummyHash,
  hashPassword,
  verifyPassword,
} from '../../src/domain/passwords.js';

const base64 = (text: string) => Buffer.from(text, 'latin1').toString('base64');
const unbase64 = (stored: string) => Buffer.from(stored, 'base64').toString('latin1');

/** Made with Python's bcrypt: `bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds))`. */
const PYTHON = {
  correctHorse: '$2b$04$yePV1CKKGC27HcKqVnsGNeRtufzUJB0Fj.lWH8n/5.VrCF4ymscK6',
  empty: '$2b$04$knJXdRuyMtOqN6n.0g2qkOXfcuP6NGdpauQKNbsfNABybXKj5etQy',
  eightyAs: '$2b$04$0M2pTXBaXsqVdPAZ8jAy0OrkF3LeSJ9GFxRDSeLVy4BlGaVKhmCAW',
  /** 'a' * 71 + 'é': its UTF-8 is 73 bytes, cut after the first byte of 'é'. */
  cutInsideChar: '$2b$04$yAu5cyk.D8eBsdU6mHn/ceV/dGxUXvkKBDgPiUSo/8R0KWpvwDk8e',
};
/** As `.storage/auth_provider.homeassistant` holds them: `base64.b64encode(hashpw(...)).decode()`. */
const PYTHON_STORED = {
  /** 'pässwörd-ß', cost 4 */
  umlauts: 'JDJiJDA0JHNNTzdBRGtzYVlkRXZib2VHZGR3Yk83VjhHdzRXVmMySlhRaW9KejlHZjZsSXFQekVSSXM2',
  /** 'test-pass', cost 12 */
  testPass: 'JDJiJDEyJElmNnIzQWN1ZjR0UGZhYXRkUHJ6My5GbU1OeVRWM25hTlNPUjZnYk5BeFpJZHJCL0h2Wi9X',
};

describe('hashPassword', () => {
  it('makes the base64 of a $2b$ bcrypt hash at cost 12 by default, which verifies', async () => {
    expect(BCRYPT_ROUNDS).toBe(12);
    const stored = await hashPassword('test-pass');
    expect(unbase64(stored)).toMatch(/^\$2b\$12\$[./A-Za-z0-9]{53}$/);
    expect(await verifyPassword('test-pass', stored)).toBe(true);
  });

  it('takes a lower cost when asked, and salts every hash', async () => {
    const first = await hashPassword('pw', { rounds: 4 });
    const second = await hashPassword('pw', { rounds: 4 });
    expect(unbase64(first)).toMatch(/^\$2b\$04\$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword('pw', second)).toBe(true);
  });

  it('keeps the event loop turning while it hashes at cost 12', async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    try {
      await hashPassword('a password');
    } finally {
      clearInterval(interval);
    }
    // A hash on the main thread would let the interval fire at most once; off it, ~50 times.
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('uses only the first 72 bytes of the password, as Home Assistant does', async () => {
    const stored = await hashPassword('x'.repeat(100), { rounds: 4 });
    expect(await verifyPassword('x'.repeat(72), stored)).toBe(true);
    expect(await verifyPassword('x'.repeat(71), stored)).toBe(false);
  });
});

describe('verifyPassword', () => {
  it("accepts Home Assistant's stored values made by Python's bcrypt", async () => {
    expect(await verifyPassword('pässwörd-ß', PYTHON_STORED.umlauts)).toBe(true);
    expect(await verifyPassword('test-pass', PYTHON_STORED.testPass)).toBe(true);
    expect(await verifyPassword('correct horse', base64(PYTHON.correctHorse))).toBe(true);
    expect(await verifyPassword('', base64(PYTHON.empty))).toBe(true);
  });

  it('refuses a wrong password', async () => {
    expect(await verifyPassword('passwörd-ß', PYTHON_STORED.umlauts)).toBe(false);
    expect(await verifyPassword('correct horse ', base64(PYTHON.correctHorse))).toBe(false);
    expect(await verifyPassword('x', base64(PYTHON.empty))).toBe(false);
  });

  it("matches Python's hashes of passwords over 72 bytes on their first 72 bytes", async () => {
    expect(await verifyPassword('a'.repeat(80), base64(PYTHON.eightyAs))).toBe(true);
    expect(await verifyPassword('a'.repeat(72) + 'anything', base64(PYTHON.eightyAs))).toBe(true);
    // The cut falls inside 'é' (C3 A9): any character starting with byte C3 matches too.
    expect(await verifyPassword('a'.repeat(71) + 'é', base64(PYTHON.cutInsideChar))).toBe(true);
    expect(await verifyPassword('a'.repeat(71) + 'è', base64(PYTHON.cutInsideChar))).toBe(true);
    expect(await verifyPassword('a'.repeat(71), base64(PYTHON.cutInsideChar))).toBe(false);
  });

  it('answers false, without throwing, for a stored value that is not a base64 bcrypt hash', async () => {
    const malformed = [
      '',
      'not base64 at all!',
      base64('garbage'),
      base64(PYTHON.correctHorse.slice(0, 59)),
      base64(PYTHON.correctHorse.replace('$2b$', '$9z$')),
      PYTHON.correctHorse, // the hash without its base64
      base64(PYTHON.correctHorse) + '\n',
    ];
    for (const stored of malformed) {
      await expect(verifyPassword('correct horse', stored)).resolves.toBe(false);
    }
  });
});

describe('checkAgainstDummyHash', () => {
  it("checks Home Assistant's dummy hash and resolves with nothing to act on", async () => {
    expect(DUMMY_HASH).toBe('$2b$12$CiuFGszHx9eNHxPuQcwBWez4CwDTOcLTX5CbOpV6gef2nYuXkY7BO');
    await expect(checkAgainstDummyHash()).resolves.toBeUndefined();
  });
});
