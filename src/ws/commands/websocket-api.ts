/**
 * The framing commands of Home Assistant's `websocket_api` that every client uses
 * (websocket_api/commands.py): `ping` → `{"id", "type": "pong"}` (liveness checks of the apps), and
 * `supported_features`, which `home-assistant-js-websocket` sends as id 1 right after `auth_ok`
 * (`{"features": {"coalesce_messages": 1}}`). This service never coalesces, so the features are
 * accepted and need nothing more. `unsubscribe_events` ends a subscription of the connection (here
 * `inspect/subscribe`): `{"subscription": <its id>}` → null, or `not_found` "Subscription not found.".
 */
import { CodedError } from '../../domain/errors.js';
import type { WsCommand } from '../command.js';
import { pongMessage } from '../messages.js';

export const PING: WsCommand = {
  type: 'ping',
  fields: null,
  requires: 'any_user',
  run: async () => null,
  reply: (id) => pongMessage(id),
  answersWithoutStore: true,
};

export const SUPPORTED_FEATURES: WsCommand = {
  type: 'supported_features',
  fields: { features: { type: 'int_map', required: true } },
  requires: 'any_user',
  run: async () => null,
};

export const UNSUBSCRIBE_EVENTS: WsCommand = {
  type: 'unsubscribe_events',
  fields: { subscription: { type: 'int', required: true, min: 0 } },
  requires: 'any_user',
  async run({ events }, message) {
    if (!events.unsubscribe(message.subscription as number)) throw new CodedError('unknown_subscription');
    return null;
  },
};
