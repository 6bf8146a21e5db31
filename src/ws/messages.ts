/**
 * The WebSocket API's messages, as Home Assistant builds them
 * (homeassistant/components/websocket_api/messages.py and auth.py, ha-auth-spec §10):
 *
 *   → {"type": "auth_required", "ha_version": "2025.6.3"}
 *   ← {"type": "auth", "access_token": "…"}
 *   → {"type": "auth_ok", "ha_version": "2025.6.3"} | {"type": "auth_invalid", "message": "…"}
 *   ← {"id": 5, "type": "auth/current_user"}
 *   → {"id": 5, "type": "result", "success": true, "result": {…}}
 *   → {"id": 5, "type": "result", "success": false, "error": {"code": "…", "message": "…"}}
 */
import type { ErrorTranslation } from '../domain/errors.js';

export interface CommandFailure {
  code: string;
  message: string;
  /** Sent when Home Assistant's exception has one (`HomeAssistantError`). */
  translation?: ErrorTranslation;
}

export const authRequiredMessage = (haVersion: string) => ({ type: 'auth_required', ha_version: haVersion });

export const authOkMessage = (haVersion: string) => ({ type: 'auth_ok', ha_version: haVersion });

export const authInvalidMessage = (message: string) => ({ type: 'auth_invalid', message });

export const resultMessage = (id: unknown, result: unknown) => ({ id, type: 'result', success: true, result: result ?? null });

/** `error_message`: the translation keys come after the message, and only when there is a translation key. */
export function errorMessage(id: unknown, { code, message, translation }: CommandFailure) {
  const error =
    translation === undefined
      ? { code, message }
      : {
          code,
          message,
          translation_key: translation.key,
          translation_placeholders: translation.placeholders,
          translation_domain: translation.domain,
        };
  return { id, type: 'result', success: false, error };
}

export const pongMessage = (id: number) => ({ id, type: 'pong' });

/** `event_message`: an event of the subscription made by the command `id`. */
export const eventMessage = (id: number, event: unknown) => ({ id, type: 'event', event });
