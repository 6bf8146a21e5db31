/**
 * Home Assistant's `homeassistant` auth provider (homeassistant/auth/providers/homeassistant.py,
 * ha-auth-spec.md §14.1) over the store's password entries: username → base64 bcrypt hash.
 *
 * Usernames compare after `username.strip().casefold()`, on both sides, as in HA's normal mode.
 * HA's legacy mode (stored usernames that are not normalized, compared exactly) is not carried:
 * HA deprecated it with a repair issue that breaks in 2026.7.0, and every username this service
 * accepts is normalized already (`addAuth`, `changeUsername`).
 *
 * A failed login is a result (`false`), not an exception; HA raises InvalidAuth there and its login
 * flow turns it into the form error `invalid_auth`. Admin commands throw HA's InvalidUser as the
 * catalogued `username_not_normalized`, `username_already_exists` and `username_not_found`
 * (domain/errors.ts: its translation key, placeholders and English message, spec §12.4).
 *
 * This provider keeps only the password entries. Renaming the credential that points at an entry
 * (HA's `async_update_user_credentials_data`) is the caller's part.
 */
import { CodedError } from '../../domain/errors.js';
import { checkAgainstDummyHash, hashPassword, verifyPassword, type HashOptions } from '../../domain/passwords.js';
import type { UserStore } from '../../stores/types.js';
import type { Credential, PasswordEntry } from '../../domain/models.js';
import type { PasswordChecks } from './password-checks.js';

/** The code points for which Python's `str.isspace()` holds, which `str.strip()` removes. */
const PYTHON_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
  0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Python's `str.strip()`. JS `trim()` differs: it also strips U+FEFF and keeps U+001C–U+001F and U+0085. */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PYTHON_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Cherokee is the one script whose case folding goes to uppercase (CaseFolding.txt: AB70 → 13A0, 13F8 → 13F0). */
function isCherokee(codePoint: number): boolean {
  return (codePoint >= 0x13a0 && codePoint <= 0x13fd) || (codePoint >= 0xab70 && codePoint <= 0xabbf);
}

function foldCodePoint(char: string): string {
  const codePoint = char.codePointAt(0) ?? 0;
  if (isCherokee(codePoint)) return char.toUpperCase();
  if (codePoint === 0x131) return char; // dotless ı folds to itself (its I → i mapping is Turkic-only)
  return char.toLowerCase().toUpperCase().toLowerCase();
}

/**
 * Python's `str.casefold()` (full Unicode case folding): 'ß' → 'ss', 'ς' → 'σ', 'ﬁ' → 'fi', 'µ' → 'μ',
 * where `toLowerCase()` keeps them. Lower → upper → lower, one code point at a time (so JS's
 * final-sigma rule never applies), plus the two exceptions above, gives Python 3.11's casefold for
 * every code point of Unicode 14 (checked over all of them). Letters added since fold as Node's
 * ICU says; a Python folds them only from its own Unicode version on.
 */
export function casefold(text: string): string {
  let folded = '';
  for (const char of text) folded += foldCodePoint(char);
  return folded;
}

/** HA's `username.strip().casefold()`. */
export function normalizeUsername(username: string): string {
  return casefold(pythonStrip(username));
}

export interface HomeAssistantProviderOptions {
  /** bcrypt cost of new hashes: Home Assistant's 12 unless a test asks for less. */
  rounds?: number;
  /**
   * The app's bounded queue that every bcrypt hash and check goes through (password-checks.ts);
   * absent, they run at once (the command line checks one password per run).
   */
  checks?: PasswordChecks;
}

export interface HomeAssistantProvider {
  /**
   * True when the password matches; every attempt costs one bcrypt check, known user or not. Like
   * every bcrypt step here, rejects with PasswordChecksBusyError when the queue is full.
   */
  validateLogin(username: string, password: string): Promise<boolean>;
  /**
   * HA's `async_add_auth`. With `credential` (the login's credential, linked to its user: HA's
   * `async_get_or_create_credentials` and `async_link_user`, which follow it in the same step), both
   * are added in one write (UserStore.addLogin); `credential_taken` when another user's credential
   * holds the name.
   */
  addAuth(username: string, password: string, credential?: Credential): Promise<void>;
  changePassword(username: string, newPassword: string): Promise<void>;
  /**
   * HA's `async_change_username`. With `credential` (the login's credential as it is to be stored:
   * HA's `async_update_user_credentials_data`, which it calls in the same step), both change in one
   * write (UserStore.renameLogin).
   */
  changeUsername(username: string, newUsername: string, credential?: Credential): Promise<void>;
  removeAuth(username: string): Promise<void>;
  listUsernames(): Promise<string[]>;
}

export function createHomeAssistantProvider(
  users: UserStore,
  options: HomeAssistantProviderOptions = {},
): HomeAssistantProvider {
  const hashOptions: HashOptions = options.rounds === undefined ? {} : { rounds: options.rounds };
  const bcrypt = <T>(work: () => Promise<T>): Promise<T> => (options.checks === undefined ? work() : options.checks.run(work));

  /** The stored entry a (not necessarily normalized) username refers to, as HA's lookups find it. */
  async function findEntry(username: string): Promise<PasswordEntry | undefined> {
    const wanted = normalizeUsername(username);
    return (await users.listPasswords()).find((entry) => normalizeUsername(entry.username) === wanted);
  }

  /** HA's `_validate_new_username`: normalized, and no entry that normalizes to the same. */
  async function validateNewUsername(newUsername: string): Promise<void> {
    if (normalizeUsername(newUsername) !== newUsername) {
      throw new CodedError('username_not_normalized', { new_username: newUsername });
    }
    if (await findEntry(newUsername)) {
      throw new CodedError('username_already_exists', { username: newUsername });
    }
  }

  return {
    async validateLogin(username, password) {
      const wanted = normalizeUsername(username);
      let found: PasswordEntry | undefined;
      // HA compares every entry, with no early exit, so that the time spent does not tell where
      // (or whether) the username is; the last match wins, as in HA.
      for (const entry of await users.listPasswords()) {
        if (normalizeUsername(entry.username) === wanted) found = entry;
      }
      // The dummy check queues like a real one: a refusal or a wait says nothing about the username.
      if (found === undefined) {
        await bcrypt(checkAgainstDummyHash);
        return false;
      }
      const { passwordHash } = found;
      return bcrypt(() => verifyPassword(password, passwordHash));
    },

    async addAuth(username, password, credential) {
      await validateNewUsername(username);
      const passwordHash = await bcrypt(() => hashPassword(password, hashOptions));
      // Another instance may have added the same name while we hashed: the store decides.
      const entry = { username, passwordHash };
      const added = credential === undefined ? ((await users.addPassword(entry)) ? 'added' : 'username_taken') : await users.addLogin(entry, credential);
      if (added === 'username_taken') throw new CodedError('username_already_exists', { username });
      if (added === 'credential_taken') throw new CodedError('credential_taken', { username });
    },

    async changePassword(username, newPassword) {
      const entry = await findEntry(username);
      if (entry === undefined) throw new CodedError('username_not_found');
      const passwordHash = await bcrypt(() => hashPassword(newPassword, hashOptions));
      if (!(await users.setPassword({ username: entry.username, passwordHash }))) {
        throw new CodedError('username_not_found');
      }
    },

    async changeUsername(username, newUsername, credential) {
      // HA's order: the new name is checked before the old one is looked up.
      await validateNewUsername(newUsername);
      const entry = await findEntry(username);
      if (entry === undefined) throw new CodedError('username_not_found');
      // Another instance may have taken the name, or removed the entry, since: the store decides.
      const renamed = await users.renameLogin(entry.username, newUsername, credential);
      if (renamed === 'taken') throw new CodedError('username_already_exists', { username: newUsername });
      if (renamed === 'missing') throw new CodedError('username_not_found');
    },

    async removeAuth(username) {
      const entry = await findEntry(username);
      if (entry === undefined) throw new CodedError('username_not_found');
      await users.deletePassword(entry.username);
    },

    async listUsernames() {
      return (await users.listPasswords()).map((entry) => entry.username);
    },
  };
}
