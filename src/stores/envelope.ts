/**
 * The one place that turns stored JSON back into a machine snapshot (ARCHITECTURE.md, "Lifecycles").
 *
 * A stored envelope is `{machine, v, rev, snapshot}`. `v` is the machine's version when the snapshot
 * was written; restoring runs the migrations from `v` up to the current version, then lets xstate
 * resolve the state. Anything that cannot be read (unknown machine, a version from the future, a
 * missing migration, a state the machine no longer has) is reported as unreadable: callers treat it as
 * expired, never as valid, and never crash.
 */
import type { SnapshotFrom } from 'xstate';
import { machines, type MachineName, type MachineOf } from '../../machines/index.js';
import type { Envelope } from './types.js';

/** What `getPersistedSnapshot` produces once through JSON. */
export interface PersistedJson {
  value: unknown;
  context: Record<string, unknown>;
  [key: string]: unknown;
}

/** Turns a snapshot of version `v` into one of version `v + 1`. */
export type Migration = (snapshot: PersistedJson) => PersistedJson;

/** `migrations[machine][v]` upgrades a snapshot from `v` to `v + 1`. */
export type MigrationTable = { readonly [N in MachineName]?: Readonly<Record<number, Migration>> };

/**
 * Each entry says when and why it exists (the change to the machine that made old snapshots
 * unreadable as they are).
 */
export const migrations: MigrationTable = {
  // v2 (PKCE) added `codeChallenge` to flows and grants; one written before had none.
  // v3 (trusted_networks) added the users a flow offers; every flow before was a homeassistant one, which offers none.
  loginFlow: {
    1: (snapshot) => ({ ...snapshot, context: { ...snapshot.context, codeChallenge: null } }),
    2: (snapshot) => ({ ...snapshot, context: { ...snapshot.context, userChoices: null } }),
  },
  loginGrant: { 1: (snapshot) => ({ ...snapshot, context: { ...snapshot.context, codeChallenge: null } }) },
  refreshToken: {
    // v2 (rotation) added the `redeemed` state and the context of a token's family. A v1 token was
    // never rotated: it belongs to no family and has no successor.
    1: (snapshot) => ({
      ...snapshot,
      context: { ...snapshot.context, family: null, successorId: null, redeemedAt: null, graceUntil: null },
    }),
  },
};

export type Restored<N extends MachineName> =
  | { ok: true; snapshot: SnapshotFrom<MachineOf<N>> }
  | { ok: false; reason: string };

/**
 * The envelope of a snapshot, holding its persisted form (xstate's `getPersistedSnapshot`), which the
 * store encodes as JSON once, when it writes it. Snapshots are immutable, so the envelope may share
 * their objects; a round trip through JSON here cost a rotation about 5 µs per record.
 */
export function toEnvelope<N extends MachineName>(name: N, snapshot: SnapshotFrom<MachineOf<N>>, rev: number): Envelope {
  return { machine: name, v: machines[name].version, rev, snapshot: persistedSnapshot(name, snapshot) };
}

type LiveSnapshot = { status: unknown; output: unknown; error: unknown; value: unknown; historyValue: object; context: unknown; children: object };

/**
 * What xstate's `getPersistedSnapshot` gives, key for key, for a snapshot with no child actors and
 * no history (none of machines/ has either: they invoke and spawn nothing, and declare no history
 * state), built as one object literal: xstate builds it with a spread followed by new keys, which V8
 * (Node 20) makes about 3 µs slower to build and slower again to copy and to encode. Any other
 * snapshot is xstate's to persist.
 */
function persistedSnapshot<N extends MachineName>(name: N, snapshot: SnapshotFrom<MachineOf<N>>): unknown {
  const live = snapshot as unknown as LiveSnapshot;
  if (!isEmpty(live.children) || !isEmpty(live.historyValue)) return machines[name].machine.getPersistedSnapshot(snapshot);
  return { status: live.status, output: live.output, error: live.error, value: live.value, historyValue: {}, context: live.context, children: {} };
}

function isEmpty(value: object | undefined): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

function isPersistedJson(value: unknown): value is PersistedJson {
  if (typeof value !== 'object' || value === null) return false;
  const { context } = value as { context?: unknown };
  return 'value' in value && typeof context === 'object' && context !== null;
}

function migrate(name: MachineName, from: number, snapshot: PersistedJson, table: MigrationTable): PersistedJson | string {
  const target = machines[name].version;
  if (from > target) return `version ${from} is newer than this service knows (${target})`;
  let current = snapshot;
  for (let v = from; v < target; v += 1) {
    const step = table[name]?.[v];
    if (step === undefined) return `no migration from version ${v}`;
    current = step(current);
  }
  return current;
}

export function restoreSnapshot<N extends MachineName>(
  name: N,
  envelope: Envelope,
  table: MigrationTable = migrations,
): Restored<N> {
  if (envelope.machine !== name) return { ok: false, reason: `record of ${envelope.machine}, expected ${name}` };
  if (!Number.isInteger(envelope.v) || !isPersistedJson(envelope.snapshot)) {
    return { ok: false, reason: 'malformed envelope' };
  }
  try {
    const migrated = migrate(name, envelope.v, envelope.snapshot, table);
    if (typeof migrated === 'string') return { ok: false, reason: migrated };
    const machine = machines[name].machine;
    const snapshot = machine.resolveState({
      value: migrated.value as never,
      context: migrated.context as never,
    }) as SnapshotFrom<MachineOf<N>>;
    return { ok: true, snapshot };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
