/**
 * `.storage/auth_module.totp` (homeassistant/auth/mfa_modules/totp.py, ha-auth-spec §14.5):
 * `{"users": {"<user_id>": "<base32 secret>"}}`. Secrets are imported as they are, for the module id
 * `totp` (Home Assistant's default, and this service's): the same authenticator app keeps working.
 * A secret of a user that `.storage/auth` does not have is left out with a note (Home Assistant keeps
 * it, but nobody can use it); a secret that is not base32 is a problem (pyotp could not use it).
 */
import { Secret } from 'otpauth';
import type { ImportedTotpSecret } from './ha-records.js';
import { fieldAt, type FieldReader } from './input-problems.js';

function isBase32(secret: string): boolean {
  try {
    return Secret.fromBase32(secret).bytes.length > 0;
  } catch {
    return false;
  }
}

/** `userIds`: the users of `.storage/auth`, or null when that file could not be read. */
export function readTotpSecrets(data: unknown, userIds: Set<string> | null, reader: FieldReader): ImportedTotpSecret[] {
  const users = reader.object(reader.object(data, 'data').users, 'data.users');
  const secrets: ImportedTotpSecret[] = [];
  for (const [userId, value] of Object.entries(users)) {
    const field = fieldAt('data.users', userId);
    const secret = reader.string(value, field, { secret: true });
    if (secret !== '' && !isBase32(secret)) reader.problem(field, 'is not a base32 secret');
    if (userIds !== null && !userIds.has(userId)) reader.note(field, `no user "${userId}" in .storage/auth: left out`);
    else secrets.push({ userId, secret });
  }
  return secrets;
}
