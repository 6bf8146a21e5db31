/**
 * The MFA steps of a login flow (`LoginFlow.async_step_select_mfa_module` and `async_step_mfa`,
 * homeassistant/auth/providers/__init__.py; ha-auth-spec §5.3): the events a submission becomes and
 * the forms each step shows. The login-flow machine decides what happens; this module checks input
 * and codes and draws the forms.
 *
 *   select_mfa_module  [{"type": "select", "options": [[id, name], …], "name": "multi_factor_auth_module"}]
 *                      errors {} or {"base": "invalid_auth_module"} (a submission without a choice);
 *                      a module that was not offered fails the form's `vol.In`: "User input malformed"
 *   mfa                the module's input schema ([{"type": "string", "name": "code", "required": true}]),
 *                      placeholders {"mfa_module_name", "mfa_module_id"}, errors {} or {"base": "invalid_code"}
 *
 * A code that arrives after the 5-minute window is not checked at all (Home Assistant aborts before
 * validating), so it cannot use up a time step of the replay guard.
 */
import { isPastMfaWindow, type LoginFlowContext, type LoginFlowEvent, type MfaModuleChoice } from '../../../machines/login-flow.js';
import { validate } from '../../domain/voluptuous.js';
import { formResult, type FormResult } from './flow-results.js';
import type { MfaService } from '../mfa/mfa-modules.js';

const SELECT_FIELD = 'multi_factor_auth_module';

export interface LoginMfa {
  /** The modules to ask for: the user's enabled ones, none for a new credential or a provider without MFA. */
  choicesFor(userId: string | null, providerSupportsMfa: boolean): Promise<MfaModuleChoice[]>;
  /** The event for a `select_mfa_module` submission, or null when the input fails the form. */
  selectEvent(flow: LoginFlowContext, input: Record<string, unknown>, now: number): LoginFlowEvent | null;
  /** The event for an `mfa` submission, or null when the input fails the module's schema. */
  codeEvent(flow: LoginFlowContext, input: Record<string, unknown>, now: number): Promise<LoginFlowEvent | null>;
  selectForm(flow: LoginFlowContext): FormResult;
  codeForm(flow: LoginFlowContext): FormResult;
}

const errorsOf = (flow: LoginFlowContext): Record<string, string> => (flow.error === null ? {} : { base: flow.error });

export function loginMfa(mfa: MfaService): LoginMfa {
  return {
    async choicesFor(userId, providerSupportsMfa) {
      if (userId === null || !providerSupportsMfa) return [];
      return (await mfa.enabledModules(userId)).map(({ id, maxRetries }) => ({ id, maxRetries }));
    },

    selectEvent(flow, input, now) {
      const offered = flow.mfaModules.map((module) => module.id);
      const extra = Object.keys(input).some((key) => key !== SELECT_FIELD);
      const choice = Object.hasOwn(input, SELECT_FIELD) ? input[SELECT_FIELD] : undefined;
      if (extra || (choice !== undefined && !offered.includes(choice as string))) return null;
      return { type: 'SELECT_MFA_MODULE', now, moduleId: (choice as string | undefined) ?? null };
    },

    async codeEvent(flow, input, now) {
      const module = mfa.module(flow.mfaModuleId ?? '');
      // A module no longer configured (Home Assistant re-asks for one): no code can be right.
      if (module === undefined) return { type: 'MFA_CODE', now, valid: false };
      const checked = validate(module.inputForm.schema, input);
      if (!checked.ok) return null;
      if (isPastMfaWindow(flow, now) || flow.userId === null) return { type: 'MFA_CODE', now, valid: false };
      return { type: 'MFA_CODE', now, valid: await module.validateLogin(flow.userId, checked.value) };
    },

    selectForm(flow) {
      const options = flow.mfaModules.map(({ id }): [string, string] => [id, mfa.module(id)?.name ?? id]);
      const dataSchema = [{ type: 'select', options, name: SELECT_FIELD }];
      return formResult(flow.flowId, flow.handler, { stepId: 'select_mfa_module', dataSchema, errors: errorsOf(flow) });
    },

    codeForm(flow) {
      const id = flow.mfaModuleId ?? '';
      const module = mfa.module(id);
      return formResult(flow.flowId, flow.handler, {
        stepId: 'mfa',
        dataSchema: module?.inputForm.fields ?? [],
        errors: errorsOf(flow),
        placeholders: { mfa_module_name: module?.name ?? id, mfa_module_id: id },
      });
    },
  };
}
