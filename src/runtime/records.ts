/**
 * Reading persisted actors: a stored envelope restored to its machine's snapshot (stores/envelope.ts
 * migrates older versions). A record that cannot be restored counts as absent (expired), is logged,
 * and is never written over.
 */
import type { InputFrom, SnapshotFrom } from 'xstate';
import type { MachineName, MachineOf } from '../../machines/index.js';
import type { Logger } from '../domain/logger.js';
import { UnreadableRecordError } from '../stores/envelope-codec.js';
import { restoreSnapshot, toEnvelope } from '../stores/envelope.js';
import type { ActorRecords, Envelope } from '../stores/types.js';
import { initialStep } from './machine-step.js';

export type Snapshot<N extends MachineName> = SnapshotFrom<MachineOf<N>>;

/** A record as read and restored. */
export interface Loaded<N extends MachineName> {
  envelope: Envelope;
  snapshot: Snapshot<N>;
}

/** A machine's initial snapshot for `input`, and its envelope as revision 1. */
export function initialEnvelope<N extends MachineName>(name: N, input: InputFrom<MachineOf<N>>): Loaded<N> {
  const [snapshot] = initialStep(name, input);
  return { snapshot, envelope: toEnvelope(name, snapshot, 1) };
}

/** Stored text that is not an envelope at all is unreadable like a snapshot that cannot be migrated. */
export async function unlessGarbled<T>(read: Promise<T>, onGarbled: T, name: MachineName, id: string, logger: Logger): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (!(error instanceof UnreadableRecordError)) throw error;
    logger.warn({ machine: name, recordId: id, reason: error.message }, 'unreadable record treated as expired');
    return onGarbled;
  }
}

export function restoreOrNull<N extends MachineName>(name: N, id: string, envelope: Envelope | null, logger: Logger): Loaded<N> | null {
  if (envelope === null) return null;
  const restored = restoreSnapshot(name, envelope);
  if (!restored.ok) {
    logger.warn({ machine: name, recordId: id, reason: restored.reason }, 'unreadable record treated as expired');
    return null;
  }
  return { envelope, snapshot: restored.snapshot };
}

/** Restores a record; null when absent or unreadable (logged, and treated as expired). */
export async function loadRecord<N extends MachineName>(records: Pick<ActorRecords, 'load'>, name: N, id: string, logger: Logger): Promise<Loaded<N> | null> {
  return restoreOrNull(name, id, await unlessGarbled(records.load(id), null, name, id, logger), logger);
}

/**
 * Restores a record read together with its id and more (a refresh token found by its secret's hash
 * with its user, in one round trip); null when none was found or it is unreadable (logged under
 * `lookup`, and treated as expired).
 */
export async function restoreFound<N extends MachineName, F extends { id: string; envelope: Envelope }>(
  found: Promise<F | null>,
  name: N,
  lookup: string,
  logger: Logger,
): Promise<(F & { snapshot: Snapshot<N> }) | null> {
  const record = await unlessGarbled(found, null, name, lookup, logger);
  const restored = record === null ? null : restoreOrNull(name, record.id, record.envelope, logger);
  // The snapshot first: V8 adds a property after a spread slowly (machines/refresh-token.ts's context).
  return restored === null || record === null ? null : { snapshot: restored.snapshot, ...record };
}
