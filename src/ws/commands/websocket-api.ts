/**
 * The framing commands of Home Assistant's `websocket_api` that every client uses
 * (websocket_api/commands.py): `ping` → `{"id", "type": "pong"}` (liveness checks of the apps), and
 * `supported_features`, which `home-assistant-js-websocket` sends as id 1 right after `auth_ok`
 * (`{"features": {"coalesce_messages": 1}}`). This service never coalesces, so the features are
 * accepted and need nothing more.
 */
import type { WsCommand } from '../command.js';
import { pongMessage } from '../messages.js';

export const PING: WsCommand = {
  type: 'ping',
  fields: null,
  requires: 'any_user',
  run: async () => null,
  reply: (id) => pongMessage(id),
};

export const SUPPORTED_FEATURES: WsCommand = {
  type: 'supported_features',
  fields: { features: { type: 'int_map', required: true } },
  requires: 'any_user',
  run: async () => null,
};
