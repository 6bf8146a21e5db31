/**
 * `auth/setup_mfa` and `auth/depose_mfa` (homeassistant/components/auth/mfa_setup_flow.py,
 * ha-auth-spec §12.2), behind `ws_require_user(allow_system_user=False)`:
 *
 *   {"id": 1, "type": "auth/setup_mfa", "mfa_module_id": "totp"}
 *     → {"type": "form", "flow_id": "…", "handler": "totp", "data_schema": [{"type": "string", "name": "code", "required": true}],
 *        "errors": {}, "description_placeholders": {"code": "<secret>", "url": "otpauth://…", "qr_code": "<svg…"},
 *        "last_step": null, "preview": null, "step_id": "init"}
 *   {"id": 2, "type": "auth/setup_mfa", "flow_id": "…", "user_input": {"code": "123456"}}
 *     → the same form with errors {"base": "invalid_code"}, or
 *       {"type": "create_entry", "flow_id": "…", "handler": "totp", "data": {"result": "<secret>"},
 *        "description": null, "description_placeholders": null, "context": {}}
 *   {"id": 3, "type": "auth/depose_mfa", "mfa_module_id": "totp"} → "done"
 *
 * Errors: `no_module` "MFA module <id> is not found"; `disable_failed` "Cannot disable MFA Module <id>:
 * Unable find multi-factor auth module: <id>"; and, where Home Assistant sends nothing (§16.2 #20),
 * `not_found` "Invalid flow specified" for an unknown, finished or another user's flow,
 * `invalid_format` for `user_input` the step refuses or a message naming neither module nor flow.
 */
import { CodedError } from '../../domain/errors.js';
import type { MfaService } from '../../services/mfa/mfa-modules.js';
import type { MfaSetupFlowService } from '../../services/mfa/mfa-setup-flows.js';
import type { WsCommand } from '../command.js';

export interface AuthMfaDeps {
  mfa: MfaService;
  setupFlows: MfaSetupFlowService;
}

export function authMfaCommands({ mfa, setupFlows }: AuthMfaDeps): WsCommand[] {
  const setupMfa: WsCommand = {
    type: 'auth/setup_mfa',
    fields: {
      mfa_module_id: { type: 'str', exclusive: 'module_or_flow_id' },
      flow_id: { type: 'str', exclusive: 'module_or_flow_id' },
      user_input: { type: 'any' },
    },
    requires: 'active_human',
    async run({ user }, message) {
      if (typeof message.flow_id === 'string') return setupFlows.continue(user, message.flow_id, message.user_input);
      if (typeof message.mfa_module_id === 'string') return setupFlows.start(user, message.mfa_module_id);
      throw new CodedError('invalid_format', { detail: 'must contain at least one of mfa_module_id, flow_id.' });
    },
  };

  const deposeMfa: WsCommand = {
    type: 'auth/depose_mfa',
    fields: { mfa_module_id: { type: 'str', required: true } },
    requires: 'active_human',
    async run({ user }, message) {
      await mfa.depose(user, message.mfa_module_id as string);
      return 'done';
    },
  };

  return [setupMfa, deposeMfa];
}
