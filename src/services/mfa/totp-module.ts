/**
 * The `totp` MFA module (homeassistant/auth/mfa_modules/totp.py, ha-auth-spec §14.5) over the store's
 * MFA entries, one per (module id, user id).
 *
 * - Login: the code must match the previous, current or next 30-second step (pyotp's
 *   `valid_window=1`) and, beyond Home Assistant, be later than the last step accepted for that user
 *   and module: accepting moves that step forward with a compare-and-set, so a code is good once,
 *   even when two instances receive it at the same moment. A user without a secret is still checked,
 *   against `DUMMY_SECRET`, so that the answer takes as long (Home Assistant's timing equalization).
 * - Setup: a fresh 32-character secret, a code for the current step only, no retry limit; the
 *   confirming code's step becomes the last accepted one.
 * - `MAX_RETRY_TIME` is 5: the fifth wrong code of a login aborts it with `too_many_retry`.
 * - A secret stored sealed with a key no longer given, or altered, opens to nothing: the module stays
 *   set up and refuses every code (a lost key must not turn MFA off). The user sets it up again from
 *   a session, or an operator gives the key back.
 */
import type { Clock } from '../../domain/clock.js';
import { DUMMY_TOTP_SECRET, matchingStep, newTotpSecret, provisioningUri, qrCodeSvg } from '../../domain/totp.js';
import type { Schema } from '../../domain/voluptuous.js';
import type { MfaModuleConfig } from '../../auth-config.js';
import { UnreadableRecordError } from '../../stores/envelope-codec.js';
import type { MfaStore } from '../../stores/types.js';
import type { SchemaField } from '../login/flow-results.js';

/** `MAX_RETRY_TIME` of the totp module. */
export const TOTP_MAX_RETRIES = 5;

/** What the login flow and the setup flow need from an MFA module (Home Assistant's `MultiFactorAuthModule`). */
export interface MfaModule {
  readonly type: MfaModuleConfig['type'];
  readonly id: string;
  readonly name: string;
  /** `MAX_RETRY_TIME`: wrong login codes before the flow aborts (0: no limit). */
  readonly maxRetries: number;
  /** `input_schema`, serialized for the form and as the validation of a submission. */
  readonly inputForm: { fields: SchemaField[]; schema: Schema };
  /** `async_is_user_setup`. */
  isSetUp(userId: string): Promise<boolean>;
  /** `async_validate` of a login code (the input passed `inputForm.schema`), with the replay rule. */
  validateLogin(userId: string, input: Record<string, unknown>): Promise<boolean>;
  /** `async_depose_user`: forgets the user's secret; nothing when there is none. */
  depose(userId: string): Promise<void>;
  /** A secret for a new setup flow. */
  newSecret(): string;
  /** The setup form's `description_placeholders`: `code` (the secret), `url`, `qr_code`. */
  setupPlaceholders(secret: string, userName: string | null): Promise<Record<string, string>>;
  /** The step the setup code matched (the current step only), or null. */
  checkSetupCode(secret: string, input: Record<string, unknown>): number | null;
  /** `async_setup_user`: stores the secret; false when the user no longer exists. */
  enable(userId: string, secret: string, acceptedStep: number): Promise<boolean>;
}

const CODE_FORM: MfaModule['inputForm'] = {
  fields: [{ type: 'string', name: 'code', required: true }],
  schema: { fields: { code: { type: 'str', required: true } } },
};

const UNREADABLE = Symbol('unreadable');

export function totpModule(config: MfaModuleConfig, store: MfaStore, clock: Clock): MfaModule {
  const { id } = config;
  const storedSecret = async (userId: string): Promise<string | null | typeof UNREADABLE> => {
    try {
      return await store.getSecret(id, userId);
    } catch (error) {
      if (error instanceof UnreadableRecordError) return UNREADABLE;
      throw error;
    }
  };
  return {
    type: config.type,
    id,
    name: config.name,
    maxRetries: TOTP_MAX_RETRIES,
    inputForm: CODE_FORM,

    isSetUp: async (userId) => (await storedSecret(userId)) !== null,

    async validateLogin(userId, input) {
      const stored = await storedSecret(userId);
      const secret = stored === UNREADABLE ? null : stored;
      const step = matchingStep(secret ?? DUMMY_TOTP_SECRET, input.code as string, clock(), 1);
      if (secret === null || step === null) return false;
      return store.acceptStep(id, userId, secret, step);
    },

    depose: (userId) => store.deleteSecret(id, userId),

    newSecret: newTotpSecret,

    async setupPlaceholders(secret, userName) {
      const url = provisioningUri(secret, userName);
      return { code: secret, url, qr_code: await qrCodeSvg(url) };
    },

    checkSetupCode: (secret, input) => matchingStep(secret, input.code as string, clock(), 0),

    enable: (userId, secret, acceptedStep) => store.setSecret(id, userId, secret, acceptedStep),
  };
}
