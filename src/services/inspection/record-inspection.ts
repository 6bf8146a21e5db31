/**
 * One record as the inspection page shows it (`inspect/record`): found by its id in every family of
 * persisted records (a refresh token or a flow by its id, a login grant by the SHA-256 of its code,
 * which is its record id), with its machine, its current state and a summary of its context, and its
 * history from the audit trail, which outlives the record.
 *
 * The summary is built from an allowlist per machine, never by removing what is known to be secret:
 * a field added to a machine's context stays out until it is listed here. So a `jwtKey`, the secret an
 * MFA setup flow offers, a PKCE challenge or a credential's data (beyond its username) never leave
 * the service; the audit entries are secret-free by construction (audit-entries.ts).
 */
import type { MachineName } from '../../../machines/index.js';
import type { Logger } from '../../domain/logger.js';
import { restoreSnapshot } from '../../stores/envelope.js';
import { UnreadableRecordError } from '../../stores/envelope-codec.js';
import type { ActorRecords, AuditEntry, Envelope, Store } from '../../stores/types.js';

export type SummaryValue = string | number | boolean | null;

export interface InspectedRecord {
  machine: MachineName;
  id: string;
  /** The state's name, or a nested state's value as JSON. */
  state: string;
  /** The paths of the active leaf states (`issued`, `parent.child`): what the diagram highlights. */
  statePaths: string[];
  version: number;
  rev: number;
  summary: Record<string, SummaryValue>;
}

export interface RecordLookup {
  /** Null when no live record has the id, but the audit trail still remembers it. */
  record: InspectedRecord | null;
  history: AuditEntry[];
}

export interface RecordInspectionService {
  /** The record and its history; null when neither a record nor an audit entry has this id. */
  find(id: string): Promise<RecordLookup | null>;
}

/** Ids are hex (32 for ids, 64 for a code's hash); anything far from that is no record's (or user's). */
export const PLAUSIBLE_ID = /^[A-Za-z0-9_-]{1,128}$/;

type Context = Record<string, unknown>;

const scalar = (value: unknown): SummaryValue =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;

/** The listed fields of the context, each as a scalar (null when absent or not a scalar). */
const pick = (context: Context, fields: string[]) => Object.fromEntries(fields.map((field) => [field, scalar(context[field])]));

const objectOf = (value: unknown): Context => (typeof value === 'object' && value !== null ? (value as Context) : {});

/** A credential shows its provider and username only: `data` may hold more (a provider's secrets). */
function credentialSummary(credential: unknown): Record<string, SummaryValue> {
  const { id, authProviderType, data } = objectOf(credential);
  return { credentialId: scalar(id), authProviderType: scalar(authProviderType), username: scalar(objectOf(data).username) };
}

const SUMMARIES: Record<MachineName, (context: Context) => Record<string, SummaryValue>> = {
  refreshToken: (context) => {
    const family = objectOf(context.family);
    return {
      ...pick(context, ['userId', 'clientId', 'clientName', 'tokenType', 'credentialId', 'createdAt', 'lastUsedAt', 'lastUsedIp', 'expireAt']),
      ...pick(context, ['accessTokenExpirationS', 'successorId', 'redeemedAt', 'graceUntil', 'endedAt', 'endReason']),
      // Home Assistant's `version`: of the service that created the token (not the machine's).
      createdByVersion: scalar(context.version),
      familyId: scalar(family.id),
      familyGeneration: scalar(family.generation),
      predecessorId: scalar(family.predecessorId),
    };
  },
  loginGrant: (context) => ({
    ...pick(context, ['clientId', 'issuedAt', 'refreshTokenId', 'endedAt']),
    ...credentialSummary(context.credential),
    pkce: typeof context.codeChallenge === 'string',
  }),
  loginFlow: (context) => ({
    ...pick(context, ['flowId', 'clientId', 'redirectUri', 'ipAddress', 'createdAt', 'credentialOnly', 'userId']),
    handler: Array.isArray(context.handler) ? context.handler.map(String).join(' ') : null,
    ...credentialSummary(context.credential),
    mfaModules: Array.isArray(context.mfaModules) ? context.mfaModules.map((module) => String(objectOf(module).id)).join(' ') : null,
    ...pick(context, ['mfaModuleId', 'invalidMfaCodes', 'error', 'abortReason']),
  }),
  mfaSetupFlow: (context) => pick(context, ['flowId', 'userId', 'moduleId', 'createdAt', 'confirmedAt', 'error']),
};

/**
 * What may be shown of a machine's context: the listed fields, as scalars. Also what the Stately
 * inspector is sent (observability/stately-inspector.ts).
 */
export function summarizeContext(machine: MachineName, context: unknown): Record<string, SummaryValue> {
  return SUMMARIES[machine](objectOf(context));
}

/** `'issued'` → `['issued']`; `{parent: 'child'}` → `['parent.child']`. */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  return Object.entries(objectOf(value)).flatMap(([key, child]) => leafPaths(child, `${prefix}${key}.`));
}

/** A stored record as the page shows it; null when its snapshot cannot be restored. */
export function inspectEnvelope(machine: MachineName, id: string, envelope: Envelope): InspectedRecord | null {
  const restored = restoreSnapshot(machine, envelope);
  if (!restored.ok) return null;
  const { value, context } = restored.snapshot as { value: unknown; context: unknown };
  return {
    machine,
    id,
    state: typeof value === 'string' ? value : JSON.stringify(value),
    statePaths: leafPaths(value),
    version: envelope.v,
    rev: envelope.rev,
    summary: summarizeContext(machine, context),
  };
}

export function recordInspectionService(store: Store, logger: Logger): RecordInspectionService {
  const families: Array<[MachineName, Pick<ActorRecords, 'load'>]> = [
    ['refreshToken', store.refreshTokens],
    ['loginGrant', store.grants],
    ['loginFlow', store.flows],
    ['mfaSetupFlow', store.mfaSetupFlows],
  ];

  /** The live envelope under `id` in one family; one that cannot be read counts as absent (and is logged). */
  async function loadIn(machine: MachineName, records: Pick<ActorRecords, 'load'>, id: string): Promise<Envelope | null> {
    try {
      return await records.load(id);
    } catch (error) {
      if (error instanceof UnreadableRecordError) {
        logger.warn({ machine, recordId: id, err: error.message }, 'inspection: unreadable record');
        return null;
      }
      throw error;
    }
  }

  return {
    async find(rawId) {
      const id = rawId.trim();
      if (!PLAUSIBLE_ID.test(id)) return null;
      const [envelopes, history] = await Promise.all([
        Promise.all(families.map(([machine, records]) => loadIn(machine, records, id))),
        store.audit.forRecord(id),
      ]);
      const index = envelopes.findIndex((envelope) => envelope !== null);
      const family = families[index];
      const record = family === undefined ? null : inspectEnvelope(family[0], id, envelopes[index] as Envelope);
      if (record === null && history.length === 0) return null;
      return { record, history };
    },
  };
}
