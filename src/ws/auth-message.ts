/**
 * The auth phase's one message (websocket_api/auth.py, ha-auth-spec §10.1):
 * `AUTH_MESSAGE_SCHEMA = {Required("type"): "auth", Exclusive("api_password", "auth"): str,
 * Exclusive("access_token", "auth"): str}`, extra keys refused. A message that fails it gets
 * `auth_invalid` with `Auth message incorrectly formatted: <humanized errors>`; the legacy
 * `api_password` passes the schema but is never honoured.
 */
import { humanizeError, validate, type Schema } from '../domain/voluptuous.js';

const AUTH_MESSAGE_SCHEMA: Schema = {
  fields: {
    type: { type: 'literal', value: 'auth', required: true },
    api_password: { type: 'str', exclusive: 'auth' },
    access_token: { type: 'str', exclusive: 'auth' },
  },
};

export type AuthMessage = { ok: true; accessToken: string | null } | { ok: false; message: string };

export function readAuthMessage(data: unknown): AuthMessage {
  const checked = validate(AUTH_MESSAGE_SCHEMA, data);
  if (!checked.ok) return { ok: false, message: `Auth message incorrectly formatted: ${humanizeError(data, checked.errors)}` };
  const token = checked.value.access_token;
  return { ok: true, accessToken: typeof token === 'string' && token !== '' ? token : null };
}
