/**
 * What is sealed in the store, and the place each sealed value is bound to (its additional data,
 * sealer.ts): a value copied to another record, user, module or name does not open there.
 *
 * The machines stay pure and see plain values: an envelope's secret fields are sealed when the adapter
 * writes its text and opened when it reads it (envelope-codec.ts), the other secrets by the adapter's
 * MFA and secret stores. An audit entry never holds a secret (types.ts AuditEntry).
 */
import type { MachineName } from '../../../machines/index.js';
import type { Envelope } from '../types.js';
import type { Sealer } from './sealer.js';

/** The context fields each machine's records seal: HMAC keys the machine must hold as they are. */
export const SEALED_FIELDS: { readonly [N in MachineName]?: readonly string[] } = {
  // The HMAC key of the token's access tokens (machines/refresh-token.ts).
  refreshToken: ['jwtKey'],
  // The TOTP secret a setup flow offers, kept until the flow's TTL (machines/mfa-setup-flow.ts).
  mfaSetupFlow: ['secret'],
};

/** Where a sealed value belongs; the parts are ids and names, which hold no NUL. */
export const sealedPlace = {
  recordField: (machine: MachineName, id: string, field: string) => `record\0${machine}\0${id}\0${field}`,
  mfaSecret: (moduleId: string, userId: string) => `mfa\0${moduleId}\0${userId}`,
  secret: (name: string) => `secret\0${name}`,
  /** The store's record of the key its secrets are sealed with (sealing-marker.ts). */
  marker: 'marker',
};

type Context = Record<string, unknown>;

function contextOf(envelope: Envelope): Context | null {
  const { snapshot } = envelope;
  if (typeof snapshot !== 'object' || snapshot === null) return null;
  const { context } = snapshot as { context?: unknown };
  return typeof context === 'object' && context !== null ? (context as Context) : null;
}

/**
 * The envelope with each of its machine's secret fields passed through `change` (given the stored
 * value and its place); the envelope itself when its machine seals nothing or has none of them.
 * Never changes `envelope`.
 */
function mapSecretFields(id: string, envelope: Envelope, change: (value: string, place: string) => string): Envelope {
  const fields = SEALED_FIELDS[envelope.machine];
  const context = fields === undefined ? null : contextOf(envelope);
  if (fields === undefined || context === null) return envelope;
  const changed: Context = { ...context };
  for (const field of fields) {
    const value = context[field];
    if (typeof value === 'string') changed[field] = change(value, sealedPlace.recordField(envelope.machine, id, field));
  }
  return { ...envelope, snapshot: { ...(envelope.snapshot as object), context: changed } };
}

export function sealEnvelope(sealer: Sealer, id: string, envelope: Envelope): Envelope {
  return mapSecretFields(id, envelope, (value, place) => sealer.seal(value, place));
}

/** Throws SealedValueError when a field does not open. */
export function openEnvelope(sealer: Sealer, id: string, envelope: Envelope): Envelope {
  return mapSecretFields(id, envelope, (value, place) => sealer.open(value, place));
}

/** Whether a stored envelope holds a secret field not sealed with the first key (plain, or an older key). */
export function needsResealing(sealer: Sealer, envelope: Envelope): boolean {
  const context = contextOf(envelope);
  const fields = SEALED_FIELDS[envelope.machine] ?? [];
  return context !== null && fields.some((field) => {
    const value = context[field];
    return typeof value === 'string' && !sealer.isCurrent(value);
  });
}
