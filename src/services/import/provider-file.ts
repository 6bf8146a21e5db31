/**
 * `.storage/auth_provider.homeassistant` (homeassistant/auth/providers/homeassistant.py, ha-auth-spec
 * §14.1): `{"users": [{"username": "alice", "password": "<base64 of a bcrypt hash>"}]}`. The hashes
 * are imported as they are: Home Assistant's base64 bcrypt verifies here unchanged.
 *
 * Problems: a username that is not normalized (Home Assistant's legacy mode, which it ends in 2026.7
 * and this service does not carry: such a login could not be found here), two entries for one
 * username, a password that is not the base64 of a bcrypt hash (none that Home Assistant can check
 * either). An older file's `salt` key is ignored, as Home Assistant ignores it.
 */
import { isStoredPasswordHash } from '../../domain/passwords.js';
import type { PasswordEntry } from '../../domain/models.js';
import { notNormalized } from './auth-users.js';
import { fieldAt, type FieldReader } from './input-problems.js';
import { normalizeUsername } from '../providers/password-store.js';

export function readPasswords(data: unknown, reader: FieldReader): PasswordEntry[] {
  const root = reader.object(data, 'data');
  const seen = new Map<string, string>();
  return reader.array(root.users, 'data.users').map((value, index) => {
    const field = fieldAt('data.users', index);
    const entry = reader.object(value, field);
    const username = reader.string(entry.username, fieldAt(field, 'username'));
    const passwordHash = reader.string(entry.password, fieldAt(field, 'password'), { secret: true });
    if (username !== '' && normalizeUsername(username) !== username) reader.problem(fieldAt(field, 'username'), notNormalized(username));
    const first = seen.get(normalizeUsername(username));
    if (first !== undefined) reader.problem(fieldAt(field, 'username'), `"${username}" is the username of ${first} already`);
    seen.set(normalizeUsername(username), field);
    if (passwordHash !== '' && !isStoredPasswordHash(passwordHash)) {
      reader.problem(fieldAt(field, 'password'), 'is not the base64 of a bcrypt hash, which is all Home Assistant checks: set a new password in Home Assistant and import again');
    }
    return { username, passwordHash };
  });
}
