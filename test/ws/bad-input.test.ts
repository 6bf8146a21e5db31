/**
 * Seeded junk over the socket: every command of the API with fields of every JSON type, missing or
 * extra, numbers out of range, strange text. Each message gets exactly one answer, with its id,
 * and never `unknown_error` (the answer to a bug); the socket stays open and the server keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { junkText, seeded, WRONG_TYPES, hex, type Rng } from '../http/junk-requests.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket, type Message } from '../support/ws-client.js';
import { onboardOwner } from '../support/http-client.js';

/** Every command and its fields (ha-auth-spec §12.1, §12.2, §12.3, §12.4). */
const COMMANDS: Record<string, string[]> = {
  ping: [],
  supported_features: ['features'],
  'auth/current_user': [],
  'auth/long_lived_access_token': ['lifespan', 'client_name', 'client_icon'],
  'auth/refresh_tokens': [],
  'auth/delete_refresh_token': ['refresh_token_id'],
  'auth/delete_all_refresh_tokens': ['token_type', 'delete_current_token'],
  'auth/refresh_token_set_expiry': ['refresh_token_id', 'enable_expiry'],
  'auth/sign_path': ['path', 'expires'],
  'auth/setup_mfa': ['mfa_module_id', 'flow_id', 'user_input'],
  'auth/depose_mfa': ['mfa_module_id'],
  'config/auth/list': [],
  'config/auth/create': ['name', 'group_ids', 'local_only'],
  'config/auth/update': ['user_id', 'name', 'is_active', 'group_ids', 'local_only'],
  'config/auth/delete': ['user_id'],
  'config/auth_provider/homeassistant/create': ['user_id', 'username', 'password'],
  'config/auth_provider/homeassistant/delete': ['username'],
  'config/auth_provider/homeassistant/change_password': ['current_password', 'new_password'],
  'config/auth_provider/homeassistant/admin_change_password': ['user_id', 'password'],
  'config/auth_provider/homeassistant/admin_change_username': ['user_id', 'username'],
  // Beyond Home Assistant (`inspect/subscribe` is left out: its events are more than one answer).
  unsubscribe_events: ['subscription'],
  'inspect/machines': [],
  'inspect/counts': [],
  'inspect/record': ['record_id'],
  'inspect/user': ['user'],
};

const NUMBERS = [0, -1, 1, 7, 3650, 365_001, -(2 ** 53), 2 ** 53, 1e300, -1e-7, 0.5];
const GROUPS = ['system-admin', 'system-users', 'system-read-only', 'root', ''];

function junkField(rng: Rng): unknown {
  return rng.pick<() => unknown>([
    () => rng.pick(WRONG_TYPES),
    () => rng.pick(NUMBERS),
    () => junkText(rng),
    () => hex(rng, 32),
    () => rng.chance(0.5),
    () => Array.from({ length: rng.int(3) }, () => rng.pick([...GROUPS, 1, null])),
    () => ({ coalesce_messages: rng.pick([1, 'x', null]), [junkText(rng, 5)]: rng.pick(NUMBERS) }),
    () => `/api/${junkText(rng)}?a=${junkText(rng, 5)}`,
  ])();
}

function junkMessage(rng: Rng, id: number): Message {
  const type = rng.pick(Object.keys(COMMANDS));
  const message: Message = { id, type };
  for (const field of COMMANDS[type] ?? []) if (rng.chance(0.7)) message[field] = junkField(rng);
  if (rng.chance(0.15)) message[rng.pick(['extra', 'ID', 'type ', '__proto__', junkText(rng, 8)])] = junkField(rng);
  return message;
}

describe('junk over the WebSocket', () => {
  let server: TestServer;
  let socket: TestSocket;
  let bystander: TestSocket;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const { access_token: accessToken } = await onboardOwner(server);
    socket = await TestSocket.authenticated(server, accessToken);
    bystander = await TestSocket.authenticated(server, accessToken);
  });
  afterAll(async () => {
    socket.close();
    bystander.close();
    await server.close();
  });

  it.each([1, 2, 3, 4])('answers 150 junk commands (seed %i) each once, never with unknown_error', async (seed) => {
    const rng = seeded(seed);
    const base = seed * 1000;
    for (let n = 1; n <= 150; n++) {
      const message = junkMessage(rng, base + n);
      socket.send(message);
      const reply = await socket.next();
      expect(reply.id, JSON.stringify(message)).toBe(base + n);
      if (reply.success === false) {
        const error = reply.error as { code: string; message: string };
        expect(error.code, `${JSON.stringify(message)} → ${JSON.stringify(reply)}`).not.toBe('unknown_error');
        expect(error.message.length).toBeGreaterThan(0);
      }
    }
    expect(socket.unread).toEqual([]);
    expect(await bystander.command({ type: 'ping' })).toEqual(expect.objectContaining({ type: 'pong' }));
  });
});
