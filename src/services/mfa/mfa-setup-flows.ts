/**
 * MFA setup flows (`auth/setup_mfa`; homeassistant/components/auth/mfa_setup_flow.py, ha-auth-spec
 * §12.2, §14.5). Each flow is an mfa-setup-flow machine record, so any instance can continue a flow
 * another started, and it belongs to the user who started it.
 *
 *   start(user, "totp")                    → form `init`: {code, url, qr_code} placeholders, errors {}
 *   continue(user, flowId, {"code": "…"})  → the same form with errors {"base": "invalid_code"},
 *                                            or create_entry {"data": {"result": "<secret>"}}
 *
 * Where Home Assistant sends no reply at all (an unknown flow id, input that fails the step's schema:
 * the exception dies in a detached task, §16.2 #20), this service refuses with `not_found` or
 * `invalid_format`. Another user's flow is an unknown flow, in the same words, so that a flow id is
 * no oracle. A continue without `user_input` shows the form again with the same secret (Home
 * Assistant would draw a new one, invalidating a QR code the user may have scanned already).
 */
import { MFA_SETUP_WINDOW_MS, type MfaSetupFlowContext } from '../../../machines/mfa-setup-flow.js';
import type { Clock } from '../../domain/clock.js';
import { CodedError } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import type { Logger } from '../../domain/logger.js';
import { humanizeError, validate } from '../../domain/voluptuous.js';
import type { Store } from '../../stores/types.js';
import type { User } from '../../domain/models.js';
import { formResult, setupEntryResult, type FormResult, type SetupEntryResult } from '../login/flow-results.js';
import type { MfaService } from './mfa-modules.js';
import { actorHandle } from '../../runtime/actor-handle.js';
import type { TransitionObserver } from '../../runtime/observers.js';
import type { MfaModule } from './totp-module.js';

export type MfaSetupResult = FormResult | SetupEntryResult;

export interface MfaSetupFlowService {
  /** Starts a setup flow of `moduleId` for `user`; `no_module` for a module not configured. */
  start(user: User, moduleId: string): Promise<MfaSetupResult>;
  /**
   * Submits `userInput` (undefined or null: none) to the user's flow; `unknown_flow` for an
   * unknown, finished, expired or another user's flow, `invalid_format` for input the step refuses.
   */
  continue(user: User, flowId: string, userInput: unknown): Promise<MfaSetupResult>;
}

const unknownFlow = () => new CodedError('unknown_flow');

export function mfaSetupFlowService(
  store: Store,
  clock: Clock,
  logger: Logger,
  mfa: MfaService,
  observers: readonly TransitionObserver[] = [],
): MfaSetupFlowService {
  const flows = actorHandle('mfaSetupFlow', store.mfaSetupFlows, { logger, audit: store.audit, auditInWrite: true, observers });

  async function form(flow: MfaSetupFlowContext, module: MfaModule, user: User, errors: Record<string, string>) {
    const placeholders = await module.setupPlaceholders(flow.secret, user.name);
    return formResult(flow.flowId, module.id, { stepId: 'init', dataSchema: module.inputForm.fields, errors, placeholders });
  }

  function checkedInput(module: MfaModule, userInput: unknown): Record<string, unknown> {
    const checked = validate(module.inputForm.schema, userInput);
    if (!checked.ok) throw new CodedError('invalid_format', { detail: humanizeError(userInput, checked.errors) });
    return checked.value;
  }

  /** The confirming write won: the module is set up now, and the flow (final already) is removed. */
  async function confirm(flow: MfaSetupFlowContext, module: MfaModule, step: number): Promise<SetupEntryResult> {
    const enabled = await module.enable(flow.userId, flow.secret, step);
    await store.mfaSetupFlows.delete(flow.flowId);
    if (!enabled) throw new CodedError('unknown_user');
    return setupEntryResult(flow.flowId, module.id, flow.secret);
  }

  return {
    async start(user, moduleId) {
      const module = mfa.module(moduleId);
      if (module === undefined) throw new CodedError('no_module', { moduleId });
      const input = { flowId: newId(), userId: user.id, moduleId, secret: module.newSecret(), createdAt: clock() };
      const { created, snapshot } = await flows.create(input.flowId, input, input.createdAt, (envelope, audit) =>
        store.mfaSetupFlows.create(input.flowId, envelope, MFA_SETUP_WINDOW_MS, audit),
      );
      if (!created) throw new Error('MFA setup flow id collision');
      return form(snapshot.context, module, user, {});
    },

    async continue(user, flowId, userInput) {
      const record = await flows.load(flowId);
      if (record === null || !record.snapshot.matches('awaiting_code') || record.snapshot.context.userId !== user.id) {
        throw unknownFlow();
      }
      const module = mfa.module(record.snapshot.context.moduleId);
      if (module === undefined) throw unknownFlow();
      if (userInput === undefined || userInput === null) return form(record.snapshot.context, module, user, {});
      const step = module.checkSetupCode(record.snapshot.context.secret, checkedInput(module, userInput));
      const event = { type: 'SUBMIT_CODE' as const, now: clock(), step };
      const result = await flows.transition(flowId, event);
      if (result === null || !result.before.matches('awaiting_code')) throw unknownFlow();
      const flow = result.after.context;
      for (const effect of result.emitted) {
        if (effect.type === 'mfaConfirmed') return confirm(flow, module, effect.step);
      }
      if (result.after.matches('expired')) {
        await store.mfaSetupFlows.delete(flowId);
        throw unknownFlow();
      }
      return form(flow, module, user, flow.error === null ? {} : { base: flow.error });
    },
  };
}
