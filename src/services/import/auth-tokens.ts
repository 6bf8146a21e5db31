/**
 * Refresh tokens of `.storage/auth` (ha-auth-spec §6.3, §17), with Home Assistant's load rules:
 *
 * - a token without `jwt_key` (before 0.76) is dropped, and so is one whose `created_at` does not
 *   parse (Home Assistant logs an error): both with a note;
 * - no `token_type`: `system` when `client_id` is null, else `normal`;
 * - `last_used_at` absent (before 0.78) or unparsable, `expire_at` absent (before expiry existed),
 *   `client_name`, `client_icon`, `last_used_ip`, `version` absent: null;
 * - a `credential_id` naming no credential: null.
 *
 * Kept as they are, so that the token goes on where it stands: `jwt_key` (access tokens Home
 * Assistant signed stay valid), `last_used_at`/`last_used_ip`/`expire_at` (the machine's `imported`
 * input), the access-token lifetime as Home Assistant uses it (`int(total_seconds())`). The secret
 * itself is kept only as its SHA-256, by the store. An expired token is imported too: Home Assistant
 * keeps it until its sweep, and here its next use ends it.
 */
import type { RefreshTokenType } from '../../../machines/refresh-token.js';
import { parsePythonDatetime } from '../../domain/python-datetime.js';
import type { Credential } from '../../domain/models.js';
import type { ImportedRefreshToken, ImportedUser } from './ha-records.js';
import { fieldAt, isObject, shown, type FieldReader, type JsonObject } from './input-problems.js';

const TOKEN_TYPES: readonly RefreshTokenType[] = ['normal', 'system', 'long_lived_access_token'];

function readTokenType(stored: JsonObject, clientId: string | null, field: string, reader: FieldReader): RefreshTokenType {
  const value = stored.token_type;
  if (value === undefined || value === null) return clientId === null ? 'system' : 'normal';
  if (TOKEN_TYPES.includes(value as RefreshTokenType)) return value as RefreshTokenType;
  reader.problem(field, `expected one of ${TOKEN_TYPES.join(', ')}, found ${shown(value)}`);
  return 'normal';
}

function readLastUsedAt(value: unknown, field: string, reader: FieldReader): number | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') {
    reader.problem(field, `expected a date and time or null, found ${shown(value)}`);
    return null;
  }
  const parsed = parsePythonDatetime(value);
  if (parsed === null) reader.note(field, `${shown(value)} is not a date and time: read as never used, as Home Assistant does`);
  return parsed;
}

interface Known {
  userIds: Set<string>;
  credentialIds: Set<string>;
}

/** One token, or null when Home Assistant drops it on load. */
function readToken(value: unknown, field: string, known: Known, reader: FieldReader): ImportedRefreshToken | null {
  if (!isObject(value)) {
    reader.object(value, field);
    return null;
  }
  const stored = value;
  const at = (key: string) => fieldAt(field, key);
  if (!('jwt_key' in stored)) {
    reader.note(field, 'no jwt_key (a token from before Home Assistant 0.76): left out, as Home Assistant drops it');
    return null;
  }
  if (typeof stored.created_at !== 'string') {
    reader.problem(at('created_at'), `expected a date and time, found ${shown(stored.created_at)}`);
    return null;
  }
  const createdAt = parsePythonDatetime(stored.created_at);
  if (createdAt === null) {
    reader.note(at('created_at'), `${shown(stored.created_at)} is not a date and time: left out, as Home Assistant drops the token`);
    return null;
  }
  const userId = reader.string(stored.user_id, at('user_id'));
  if (userId !== '' && !known.userIds.has(userId)) reader.problem(at('user_id'), `no user "${userId}" in data.users`);
  const clientId = reader.nullableString(stored.client_id, at('client_id'));
  // In the order Home Assistant writes the fields, so that problems and notes come in the file's order.
  const id = reader.string(stored.id, at('id'));
  const clientName = reader.optionalString(stored.client_name, at('client_name'));
  const clientIcon = reader.optionalString(stored.client_icon, at('client_icon'));
  const tokenType = readTokenType(stored, clientId, at('token_type'), reader);
  const accessTokenExpirationS = Math.trunc(reader.number(stored.access_token_expiration, at('access_token_expiration')));
  const secret = reader.string(stored.token, at('token'), { secret: true });
  const jwtKey = reader.string(stored.jwt_key, at('jwt_key'), { secret: true });
  const lastUsedAt = readLastUsedAt(stored.last_used_at, at('last_used_at'), reader);
  const lastUsedIp = reader.optionalString(stored.last_used_ip, at('last_used_ip'));
  const expireAtS = reader.nullableNumber(stored.expire_at, at('expire_at'));
  const credentialId = typeof stored.credential_id === 'string' && known.credentialIds.has(stored.credential_id) ? stored.credential_id : null;
  if (credentialId === null && typeof stored.credential_id === 'string') {
    reader.note(at('credential_id'), `no credential "${stored.credential_id}" in data.credentials: read as none, as Home Assistant does`);
  }
  const version = reader.optionalString(stored.version, at('version'));
  const imported = { lastUsedAt, lastUsedIp, expireAt: expireAtS === null ? null : Math.round(expireAtS * 1000) };
  return {
    secret,
    input: { id, userId, clientId, clientName, clientIcon, tokenType, createdAt, accessTokenExpirationS, jwtKey, credentialId, version, imported },
  };
}

export function readRefreshTokens(root: JsonObject, users: ImportedUser[], credentials: Credential[], reader: FieldReader): ImportedRefreshToken[] {
  const known = { userIds: new Set(users.map((user) => user.id)), credentialIds: new Set(credentials.map((credential) => credential.id)) };
  const ids = new Map<string, string>();
  const secrets = new Map<string, string>();
  const tokens: ImportedRefreshToken[] = [];
  reader.array(root.refresh_tokens, 'data.refresh_tokens').forEach((value, index) => {
    const field = fieldAt('data.refresh_tokens', index);
    const token = readToken(value, field, known, reader);
    if (token === null) return;
    const sameId = ids.get(token.input.id);
    if (sameId !== undefined) reader.problem(fieldAt(field, 'id'), `"${token.input.id}" is the id of ${sameId} already`);
    const sameSecret = secrets.get(token.secret);
    if (sameSecret !== undefined) reader.problem(fieldAt(field, 'token'), `the same secret as ${sameSecret}`);
    ids.set(token.input.id, field);
    secrets.set(token.secret, field);
    tokens.push(token);
  });
  return tokens;
}
