/**
 * WebSocket messages for the fuzzer: every command of the API (src/ws/commands/, ha-auth-spec §12)
 * with its fields present or not, of the right type or not, with the real ids of the set-up (the
 * owner, another user, their tokens, the flow id an earlier `auth/setup_mfa` of the same run
 * answered) or near misses; message ids valid, reused, of the wrong type or out of range; and the
 * auth phase's messages. Values are JSON text (json-text.ts), so that numbers JavaScript cannot write
 * (1e309, -0) and duplicate keys reach the server's parser.
 */
import fc from 'fast-check';
import { jsonText, numberText, objectText, stringText, trickyString } from './json-text.js';

/** Ids of the set-up that commands may name. */
export interface WsIds {
  ownerId: string;
  otherUserId: string;
  otherUsername: string;
  /** A token of the owner other than the socket's own (a long-lived one). */
  ownerTokenId: string;
  otherTokenId: string;
}

/** A value: JSON text, or the `flow_id` of the last MFA setup form this run was answered with. */
export type WsValue = string | { seen: 'flow_id' };

export interface WsMessage {
  /** `next`: a fresh id above every earlier one; otherwise the id's JSON text, or no id at all. */
  id: 'next' | 'repeat' | { text: string } | null;
  type: string | null;
  fields: Array<[string, WsValue]>;
}

const q = (value: string) => JSON.stringify(value);

function commandFields(ids: WsIds): Record<string, Record<string, string[]>> {
  const userIds = [q(ids.ownerId), q(ids.otherUserId), q(ids.otherUserId.toUpperCase()), q(`${ids.otherUserId}x`)];
  const tokenIds = [q(ids.ownerTokenId), q(ids.otherTokenId), q(ids.ownerTokenId.slice(1))];
  const groups = ['["system-admin"]', '["system-users"]', '["system-read-only"]', '["nope"]', '[]', '["system-users","system-users"]'];
  const booleans = ['true', 'false'];
  const names = [q('Bob'), q(''), q(ids.otherUsername), q(` ${ids.otherUsername}`), q(ids.otherUsername.toUpperCase())];
  return {
    ping: {},
    supported_features: { features: ['{"coalesce_messages":1}', '{}', '{"coalesce_messages":true}'] },
    'auth/current_user': {},
    'auth/long_lived_access_token': { lifespan: ['1', '30', '365000', '365001', '0', '-1'], client_name: names, client_icon: ['"mdi:key"', 'null'] },
    'auth/refresh_tokens': {},
    'auth/delete_refresh_token': { refresh_token_id: tokenIds },
    'auth/delete_all_refresh_tokens': { token_type: ['"normal"', '"long_lived_access_token"', '"system"', '"x"'], delete_current_token: ['false', 'false', 'true'] },
    'auth/refresh_token_set_expiry': { refresh_token_id: tokenIds, enable_expiry: booleans },
    'auth/sign_path': { path: ['"/api/"', '"/api/?a=1&authSig=x"', '"relative"', '""'], expires: ['30', '0', '-1', '999999999999', '1.5'] },
    'auth/setup_mfa': { mfa_module_id: ['"totp"', '"nope"'], flow_id: [], user_input: ['{"code":"123456"}', '{}', '{"code":123456}', 'null'] },
    'auth/depose_mfa': { mfa_module_id: ['"totp"', '"nope"'] },
    'config/auth/list': {},
    'config/auth/create': { name: names, group_ids: groups, local_only: booleans },
    'config/auth/update': { user_id: userIds, name: names, is_active: booleans, group_ids: groups, local_only: booleans },
    'config/auth/delete': { user_id: userIds },
    'config/auth_provider/homeassistant/create': { user_id: userIds, username: names, password: ['"pw"', '""'] },
    'config/auth_provider/homeassistant/delete': { username: names },
    'config/auth_provider/homeassistant/change_password': { current_password: ['"wrong"'], new_password: ['"new"', '""'] },
    'config/auth_provider/homeassistant/admin_change_password': { user_id: userIds.slice(1), password: ['"new"', '""'] },
    'config/auth_provider/homeassistant/admin_change_username': { user_id: userIds.slice(1), username: names },
    unsubscribe_events: { subscription: ['1', '0', '-1', '99999'] },
    'inspect/machines': {},
    'inspect/counts': {},
    'inspect/record': { record_id: [...tokenIds, q('0'.repeat(64))] },
    'inspect/subscribe': {},
  };
}

/** Every command type the fuzzer sends; a test checks that the server knows each (so that none is misspelt). */
export const COMMAND_TYPES = Object.keys(commandFields({ ownerId: '', otherUserId: '', otherUsername: '', ownerTokenId: '', otherTokenId: '' }));

/** A field's value: a plausible one (most often), or JSON of any type. */
function fieldValue(plausible: string[], flowId: boolean): fc.Arbitrary<WsValue> {
  return fc.oneof(
    { weight: flowId ? 5 : 0, arbitrary: fc.constant({ seen: 'flow_id' as const }) },
    { weight: plausible.length > 0 ? 5 : 0, arbitrary: plausible.length > 0 ? fc.constantFrom(...plausible) : fc.constant('null') },
    { weight: 2, arbitrary: fc.oneof(stringText, numberText, jsonText) },
  );
}

const messageId = fc.oneof(
  { weight: 12, arbitrary: fc.constant('next' as const) },
  { weight: 1, arbitrary: fc.constant('repeat' as const) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constantFrom('"7"', '1.5', '-1', '0', '1e309', '1e300', '9007199254740993', 'null', '[]', 'true').map((text) => ({ text })) },
);

export function commandMessage(ids: WsIds): fc.Arbitrary<WsMessage> {
  const commands = commandFields(ids);
  return fc.constantFrom(...Object.keys(commands)).chain((type) => {
    const fields = commands[type] ?? {};
    const present = Object.entries(fields).map(([name, plausible]) =>
      fc.option(fieldValue(plausible, name === 'flow_id').map((value): [string, WsValue] => [name, value]), { freq: 4, nil: null }),
    );
    const extras = fc.array(fc.tuple(fc.oneof(fc.constantFrom('type', 'id', 'extra', '__proto__'), trickyString), jsonText), { maxLength: 1 });
    return fc.record({
      id: messageId,
      type: fc.oneof({ weight: 15, arbitrary: fc.constant(type) }, { weight: 1, arbitrary: fc.constantFrom(null, 'auth/nope', type.toUpperCase(), '') }),
      fields: fc.tuple(fc.tuple(...present), extras).map(([chosen, extra]) => [...chosen.filter((pair) => pair !== null), ...extra]),
    });
  });
}

/** The message's text, ids and `seen` values filled in; `objectText` keeps repeated keys repeated. */
export function messageText(message: WsMessage, id: number | null, seenFlowId: string | null): string {
  const entries: Array<[string, string]> = [];
  if (message.id !== null) entries.push(['id', typeof message.id === 'object' ? message.id.text : String(id)]);
  if (message.type !== null) entries.push(['type', q(message.type)]);
  for (const [name, value] of message.fields) entries.push([name, typeof value === 'string' ? value : q(seenFlowId ?? 'no-flow-yet')]);
  return objectText(entries);
}

/** The auth phase: Home Assistant's `{"type": "auth", "access_token": …}` and everything near it. */
export type AuthMessage = { kind: 'text'; text: string } | { kind: 'token'; type: string; bend: 'none' | 'forged' | 'unsigned' | 'cut' | 'refresh token'; extra: Array<[string, string]> };

export const authMessage: fc.Arbitrary<AuthMessage> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('token' as const),
      type: fc.constantFrom('auth', 'auth', 'auth', 'Auth', 'ping', ''),
      bend: fc.constantFrom('none', 'forged', 'unsigned', 'cut', 'refresh token'),
      extra: fc.array(fc.tuple(fc.constantFrom('api_password', 'access_token', 'id', 'x'), jsonText), { maxLength: 2 }),
    }),
  },
  { weight: 2, arbitrary: fc.oneof(jsonText, trickyString, fc.constantFrom('', '{', 'null', '{"type":"auth"}', '{"type":"auth","access_token":1e309}')).map((text) => ({ kind: 'text' as const, text })) },
);
