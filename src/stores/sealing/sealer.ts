/**
 * Sealing: the secrets the store must keep as they are (a refresh token's `jwt_key`, TOTP secrets, the
 * signed-path and OAuth2 state keys: HMAC keys, which a hash would not serve) are encrypted with a key
 * that is not in the store, so that a copy of Redis or of the SQLite file mints no access token,
 * forges no signed path and passes no MFA step (issue 18). Home Assistant keeps them in plain text.
 *
 * A sealed value is `sealed:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: AES-256-GCM (NIST SP
 * 800-38D) with a random 96-bit nonce, and as additional data the place the value belongs to (which
 * record, which field), so that a value copied to another place does not open. The key id (the first
 * 4 bytes of the key's SHA-256) says which of the given keys opens it: the first key seals, every key
 * opens, which is how a key is rotated. A value not in this form was written before sealing (or by an
 * instance of an older version during an upgrade) and is read as it is; the next write seals it.
 *
 * Each process remembers (bounded) the values it opened or sealed, with their sealed form: a refresh
 * grant reads and writes its token's record with an unchanged `jwt_key`, and so neither decrypts nor
 * encrypts after the token's first use in the process, nor does a rotation decrypt the successor it
 * sealed itself when that successor is presented. That matters for time: an AES-GCM open costs
 * about 5 µs in a tight loop but about 0.2 ms of CPU in a process busy with other work (OpenSSL's
 * cipher set-up runs from cold caches; bench/sealing.ts), which would add a tenth to a refresh grant.
 * And for the key's life: random nonces bound a key to about 2^32 seals (SP 800-38D §8.3), which
 * then count secrets made, not uses.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, type KeyObject } from 'node:crypto';
import { BoundedMap } from '../../domain/bounded-map.js';
import { randomBytesFromPool } from '../../domain/ids.js';

const PREFIX = 'sealed:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Opened values remembered per process, with their sealed forms: a few MB at most. */
const REMEMBERED = 4096;

/** A sealed value that no given key opens: sealed with another key, or altered. */
export class SealedValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedValueError';
  }
}

export interface Sealer {
  /** Where the keys come from, for messages (`SECRETS_KEY`, a file's path); never a key. */
  readonly source: string;
  /** The ids of the given keys, the sealing one first. */
  readonly keyIds: readonly string[];
  /** `plaintext` sealed with the first key, bound to `aad` (where it is stored). */
  seal(plaintext: string, aad: string): string;
  /** The plaintext of a value read from the store; one that is not sealed as it is. Throws SealedValueError. */
  open(stored: string, aad: string): string;
  /** Whether `stored` is sealed with the first key: what re-sealing leaves alone. */
  isCurrent(stored: string): boolean;
}

/** The id a sealed value names its key by: 8 hex characters, which say nothing of the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** The key id of a sealed value; null for a value that is not sealed. */
export function sealedKeyId(stored: string): string | null {
  if (!stored.startsWith(PREFIX)) return null;
  const end = stored.indexOf(':', PREFIX.length);
  return end === -1 ? null : stored.slice(PREFIX.length, end);
}

/** `keys`: 32 bytes each, the sealing one first. */
export function createSealer(keys: readonly Buffer[], source: string): Sealer {
  if (keys.length === 0 || keys.some((key) => key.length !== 32)) throw new RangeError('a sealer needs one or more 32-byte keys');
  const byId = new Map<string, KeyObject>();
  for (const key of keys) if (!byId.has(keyIdOf(key))) byId.set(keyIdOf(key), createSecretKey(key));
  const keyIds = [...byId.keys()];
  const sealingId = keyIds[0] as string;
  const sealingKey = byId.get(sealingId) as KeyObject;
  // Stored text → its place and plaintext, and plaintext → its place and sealed form under the first
  // key: each keyed by a string as it is, none built per call (hashing and copying a joined key
  // cost a rotation about 15 µs), and a value found only where it was remembered for.
  const opened = new BoundedMap<string, { aad: string; text: string }>(REMEMBERED);
  const sealedAs = new BoundedMap<string, { aad: string; text: string }>(REMEMBERED);
  const remember = (stored: string, aad: string, plaintext: string) => {
    opened.set(stored, { aad, text: plaintext });
    if (sealedKeyId(stored) === sealingId) sealedAs.set(plaintext, { aad, text: stored });
  };

  const seal = (plaintext: string, aad: string): string => {
    const known = sealedAs.get(plaintext);
    if (known?.aad === aad) return known.text;
    const nonce = randomBytesFromPool(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', sealingKey, nonce);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const sealed = `${PREFIX}${sealingId}:${body.toString('base64url')}`;
    // What this process sealed it opens without decrypting: a rotated token's successor is read
    // back at its next rotation, often by this same process.
    remember(sealed, aad, plaintext);
    return sealed;
  };

  const decrypt = (stored: string, keyId: string, aad: string): string => {
    const key = byId.get(keyId);
    if (key === undefined) throw new SealedValueError(`sealed with key ${keyId}, which ${source} does not hold`);
    const body = Buffer.from(stored.slice(PREFIX.length + keyId.length + 1), 'base64url');
    if (body.length < NONCE_BYTES + TAG_BYTES) throw new SealedValueError(`sealed value too short (key ${keyId})`);
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedValueError(`sealed value does not open with key ${keyId}: altered, or moved from another place`);
    }
  };

  const open = (stored: string, aad: string): string => {
    const keyId = sealedKeyId(stored);
    if (keyId === null) return stored;
    const known = opened.get(stored);
    if (known?.aad === aad) return known.text;
    const plaintext = decrypt(stored, keyId, aad);
    remember(stored, aad, plaintext);
    return plaintext;
  };

  return { source, keyIds, seal, open, isCurrent: (stored) => sealedKeyId(stored) === sealingId };
}
