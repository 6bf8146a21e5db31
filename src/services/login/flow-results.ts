/**
 * Data-entry-flow results as Home Assistant serializes them to clients (homeassistant/data_entry_flow.py,
 * `_prepare_result_json` in homeassistant/components/auth/login_flow.py; ha-auth-spec §5.1): the keys,
 * their order and their nulls are part of the wire format.
 */

/** One field of a serialized voluptuous schema (`voluptuous_serialize.convert`). */
export interface SchemaField {
  type: string;
  name: string;
  required?: true;
  optional?: true;
  /** A select's `[value, label]` pairs; a label is null where Home Assistant's is `None` (a user without a name). */
  options?: Array<[string, string | null]>;
}

export type Handler = [string, string | null];

/** A login flow's handler is its provider key; an MFA setup flow's is the module id. */
export type FlowHandler = Handler | string;

export interface FormResult {
  type: 'form';
  flow_id: string;
  handler: FlowHandler;
  data_schema: SchemaField[];
  errors: Record<string, string> | null;
  description_placeholders: Record<string, string> | null;
  last_step: null;
  preview: null;
  step_id: string;
}

export interface AbortResult {
  type: 'abort';
  flow_id: string;
  handler: Handler;
  reason: string;
  description_placeholders: null;
}

export interface CreateEntryResult {
  type: 'create_entry';
  flow_id: string;
  handler: Handler;
  description: null;
  description_placeholders: null;
  result: string;
}

/**
 * A finished MFA setup flow, sent unstripped (`result.copy()` in mfa_setup_flow.py, ha-auth-spec §12.2):
 * `data.result` is what the module's `async_setup_user` returned, the TOTP secret.
 */
export interface SetupEntryResult {
  type: 'create_entry';
  flow_id: string;
  handler: string;
  data: { result: string };
  description: null;
  description_placeholders: null;
  context: Record<string, never>;
}

export type FlowResult = FormResult | AbortResult | CreateEntryResult;

export function formResult(
  flowId: string,
  handler: FlowHandler,
  step: { stepId: string; dataSchema: SchemaField[]; errors: Record<string, string> | null; placeholders?: Record<string, string> },
): FormResult {
  return {
    type: 'form',
    flow_id: flowId,
    handler,
    data_schema: step.dataSchema,
    errors: step.errors,
    description_placeholders: step.placeholders ?? null,
    last_step: null,
    preview: null,
    step_id: step.stepId,
  };
}

export function abortResult(flowId: string, handler: Handler, reason: string): AbortResult {
  return { type: 'abort', flow_id: flowId, handler, reason, description_placeholders: null };
}

/** `result` is the authorization code; `data`, `context` and the credential are never sent. */
export function createEntryResult(flowId: string, handler: Handler, code: string): CreateEntryResult {
  return { type: 'create_entry', flow_id: flowId, handler, description: null, description_placeholders: null, result: code };
}

export function setupEntryResult(flowId: string, moduleId: string, result: string): SetupEntryResult {
  return {
    type: 'create_entry',
    flow_id: flowId,
    handler: moduleId,
    data: { result },
    description: null,
    description_placeholders: null,
    context: {},
  };
}
