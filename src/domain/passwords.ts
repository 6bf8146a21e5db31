/**
 * Password hashes exactly as Home Assistant's `homeassistant` provider keeps them
 * (homeassistant/auth/providers/homeassistant.py, ha-auth-spec.md §14.1):
 * `bcrypt.hashpw(password.encode()[:72], bcrypt.gensalt(rounds=12))`, a 60-char `$2b$12$…` hash,
 * stored as its base64 so that `.storage/auth_provider.homeassistant` imports as it is.
 *
 * Library: @node-rs/bcrypt, a binding of the same Rust `bcrypt` crate that pyca/bcrypt (Home
 * Assistant's, 5.0.0 since HA 2025.11, core PR #153325) is built on, so both hash and verify alike.
 * It hashes on the libuv thread pool: a cost-12 hash (~0.3 s of CPU) never blocks the event loop,
 * as HA runs it in an executor.
 *
 * The 72-byte limit: pyca/bcrypt 4.x silently used only the first 72 bytes; 5.0 raises ValueError
 * instead, so HA truncates `password.encode()[:72]` itself (core PR #155950). We truncate the same
 * UTF-8 bytes, so a longer password keeps working with its first 72 bytes, as in every HA release.
 */
import { hash, verify } from '@node-rs/bcrypt';

/** `bcrypt.gensalt(rounds=12)` in HA's `hash_password`. */
export const BCRYPT_ROUNDS = 12;
/** bcrypt reads at most 72 bytes of a password; HA cuts the UTF-8 bytes there. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;
/**
 * HA's `dummy` in `validate_login`: a cost-12 hash (of "foo") checked for unknown usernames so that
 * they take as long to refuse as a wrong password (ha-auth-spec.md §16.1 #4).
 */
export const DUMMY_HASH = '$2b$12$CiuFGszHx9eNHxPuQcwBWez4CwDTOcLTX5CbOpV6gef2nYuXkY7BO';

/** A modular-crypt bcrypt hash, the only thing worth handing to bcrypt. */
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export interface HashOptions {
  /** bcrypt cost: Home Assistant's 12 unless a test asks for less. */
  rounds?: number;
}

/** `password.encode()[:72]`. A lone surrogate, which Python refuses to encode, becomes U+FFFD here. */
function passwordBytes(password: string): Buffer {
  return Buffer.from(password, 'utf8').subarray(0, BCRYPT_MAX_PASSWORD_BYTES);
}

/** The bcrypt hash inside a stored value, or null when it is not the base64 of one. */
function decodeStoredHash(stored: string): string | null {
  const decoded = Buffer.from(stored, 'base64');
  // Node's decoder skips what is not base64; re-encoding tells whether it skipped anything.
  if (decoded.toString('base64') !== stored) return null;
  const bcryptHash = decoded.toString('latin1');
  return BCRYPT_HASH.test(bcryptHash) ? bcryptHash : null;
}

/**
 * True when a stored value is the base64 of a bcrypt hash: the only kind `verifyPassword` can match,
 * and the only kind Home Assistant still checks (its PBKDF2 hashes from before 0.77 no longer are).
 */
export function isStoredPasswordHash(stored: string): boolean {
  return decodeStoredHash(stored) !== null;
}

/** The password as HA stores it: base64 of a fresh `$2b$` bcrypt hash (cost 12 by default). */
export async function hashPassword(password: string, options: HashOptions = {}): Promise<string> {
  const bcryptHash = await hash(passwordBytes(password), options.rounds ?? BCRYPT_ROUNDS);
  return Buffer.from(bcryptHash, 'latin1').toString('base64');
}

/**
 * True when `password` matches a stored value (`bcrypt.checkpw(password.encode()[:72],
 * b64decode(stored))`, timing-safe). A stored value that is not the base64 of a bcrypt hash is a
 * mismatch, never an exception: HA would fail with a 500 there.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const bcryptHash = decodeStoredHash(stored);
  if (bcryptHash === null) return false;
  try {
    return await verify(passwordBytes(password), bcryptHash);
  } catch {
    return false;
  }
}

/**
 * What HA spends on an unknown username: `bcrypt.checkpw(b"foo", dummy)`, result ignored, so that
 * "no such user" and "wrong password" cost the same bcrypt check.
 */
export async function checkAgainstDummyHash(): Promise<void> {
  await verify('foo', DUMMY_HASH);
}
