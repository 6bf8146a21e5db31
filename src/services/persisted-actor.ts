/**
 * The persisted-actor runtime (ARCHITECTURE.md, "Every write is a compare-and-set"):
 * load the envelope → restore → `transition(machine, snapshot, event)` (machine-step.ts) →
 * compare-and-set the next envelope on the revision that was read → on conflict, retry from the
 * record the store returned → hand the emitted events back to the caller, who performs the effects
 * only now that the write won.
 *
 * Transitions are pure, so a retry simply recomputes from the newer snapshot: if another instance
 * redeemed a code first, the retry sees `redeemed` and the machine decides what a second REDEEM means.
 * A record that cannot be restored counts as absent (expired), is logged, and is never written over.
 */
import type { EventFromLogic, InputFrom, SnapshotFrom } from 'xstate';
import { machines, type MachineName, type MachineOf } from '../../machines/index.js';
import { CodedError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { UnreadableRecordError } from '../stores/envelope-codec.js';
import { restoreSnapshot, toEnvelope } from '../stores/envelope.js';
import type { ActorRecords, AuditEntry, AuditLog, CasResult, Envelope, Store, TtlChange } from '../stores/types.js';
import { auditEntry } from './audit-entries.js';
import { initialStep, step, type StepAction } from './machine-step.js';

type Snapshot<N extends MachineName> = SnapshotFrom<MachineOf<N>>;
type EventOf<N extends MachineName> = EventFromLogic<MachineOf<N>>;

/** What a machine emitted (`emit(...)` actions): the effects to perform after the write. */
export interface EmittedEvent {
  type: string;
  [key: string]: unknown;
}

export interface Transitioned<N extends MachineName> {
  before: Snapshot<N>;
  after: Snapshot<N>;
  emitted: EmittedEvent[];
  /** False when the event changed nothing (nothing was written). */
  changed: boolean;
}

export type RecordAccess = Pick<ActorRecords, 'load' | 'compareAndSet'>;

export interface TransitionOptions<N extends MachineName> {
  /** The TTL to give the record after this transition (undefined keeps the current one). */
  ttlAfter?: (after: Snapshot<N>) => TtlChange;
  logger: Logger;
  /** Conflicts to absorb before giving up; each retry is one store round trip. */
  maxAttempts?: number;
  /** Where each written transition is recorded (the store's audit trail). */
  audit?: WatchedAuditLog;
  /**
   * Whether the entry goes into the record's own write (ActorRecords.compareAndSet's `audit`: one
   * round trip for both, issue 16) rather than being appended after it. Records whose entries the
   * trail may hold (login flows, AuditHold) append them instead.
   */
  auditInWrite?: boolean;
  /**
   * The record as the caller has just read it (`loadRecord`): the first attempt starts from it
   * instead of reading it again. If it is stale by now, the compare-and-set loses and returns the
   * record now stored, so the cost is the round trip this saves.
   */
  loaded?: { envelope: Envelope; snapshot: Snapshot<N> };
  /**
   * The write of a transition to `after`, when it is more than the record's compare-and-set (a
   * rotation also creates the successor, RefreshTokenStore.exchange); `records.compareAndSet` otherwise.
   */
  write?: (id: string, expectedRev: number, next: Envelope, ttl: TtlChange, after: Snapshot<N>, audit: AuditEntry[]) => Promise<CasResult>;
}

/**
 * Who else hears of each written record, in this process and in full: the event as the machine got
 * it and the snapshot it reached, secrets included, so a watcher must strip them (the Stately
 * inspector, observability/stately-inspector.ts). It rides on the audit trail the services already
 * hand over (app.ts puts it there): without one, a write pays one property check.
 */
export interface TransitionWatcher {
  created(machine: MachineName, recordId: string, snapshot: WatchedSnapshot): void;
  transitioned(machine: MachineName, recordId: string, event: EmittedEvent, snapshot: WatchedSnapshot): void;
}

export interface WatchedSnapshot {
  value: unknown;
  context: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
}

export type WatchedAuditLog = AuditLog & { readonly watcher?: TransitionWatcher };

/** The same store (a plain object, as instrumentStore makes it), whose audit trail also tells `watcher` of every written record. */
export function watchingTransitions(store: Store, watcher: TransitionWatcher): Store {
  const audit: WatchedAuditLog = { ...store.audit, watcher };
  return { ...store, audit };
}

/** A watcher's failure is logged, never the request's: the write already happened. */
function tellWatcher(audit: WatchedAuditLog | undefined, tell: (watcher: TransitionWatcher) => void, logger: Logger): void {
  const watcher = audit?.watcher;
  if (watcher === undefined) return;
  try {
    tell(watcher);
  } catch (error) {
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'transition watcher failed');
  }
}

/**
 * Records a written transition. Not awaited: the write already happened and its answer must not
 * wait on (or fail with) the trail; entries of one connection still reach Redis in order.
 */
export function recordInAudit(audit: AuditLog | undefined, entry: AuditEntry, logger: Logger): void {
  if (audit === undefined) return;
  audit.append(entry).catch((error: unknown) => {
    logger.warn({ err: error instanceof Error ? error.message : String(error), recordId: entry.recordId }, 'audit: entry not recorded');
  });
}

/** A record still changed by others after every retry: busy, not broken (`too_much_contention`). */
export class TooMuchContentionError extends CodedError<'too_much_contention'> {
  constructor(name: MachineName, id: string, attempts: number) {
    super('too_much_contention', undefined, { message: `${name} ${id}: still conflicting after ${attempts} attempts` });
    this.name = 'TooMuchContentionError';
  }
}

function emittedBy(actions: readonly StepAction[]): EmittedEvent[] {
  return actions
    .filter((action) => action.type === 'xstate.emit')
    .map((action) => (action.params as { event: EmittedEvent }).event);
}

function persistedJson(name: MachineName, snapshot: unknown): string {
  return JSON.stringify(machines[name].machine.getPersistedSnapshot(snapshot as never));
}

/** A machine's initial snapshot for `input`, and its envelope as revision 1. */
export function initialEnvelope<N extends MachineName>(name: N, input: InputFrom<MachineOf<N>>) {
  const [snapshot] = initialStep(name, input);
  return { snapshot, envelope: toEnvelope(name, snapshot, 1) };
}

/**
 * Starts a record from its initial snapshot. `created` is false when the id is taken. With `trail`,
 * the creation's audit entry is written by the creating write itself (records that never hold entries).
 */
export async function createRecord<N extends MachineName>(
  records: Pick<ActorRecords, 'create'>,
  name: N,
  id: string,
  input: InputFrom<MachineOf<N>>,
  ttlMs: number | null,
  trail?: { audit: WatchedAuditLog; logger: Logger; now: number },
): Promise<{ created: boolean; snapshot: Snapshot<N>; envelope: Envelope }> {
  const { snapshot, envelope } = initialEnvelope(name, input);
  const created = await records.create(id, envelope, ttlMs, trail === undefined ? [] : [creationEntry(name, id, snapshot, trail.now)]);
  if (created && trail !== undefined) tellCreated(trail.audit, name, id, snapshot, trail.logger);
  return { created, snapshot, envelope };
}

/** The audit entry of a record's first write. */
export function creationEntry(name: MachineName, id: string, snapshot: WatchedSnapshot, now: number): AuditEntry {
  return auditEntry({ machine: name, recordId: id, event: { type: 'create' }, from: null, to: snapshot.value, context: snapshot.context, emitted: [], at: now });
}

/** Records a record's first write: its entry appended to `audit`, and the watcher told. */
export function recordCreation(audit: WatchedAuditLog | undefined, name: MachineName, id: string, snapshot: WatchedSnapshot, now: number, logger: Logger): void {
  recordInAudit(audit, creationEntry(name, id, snapshot, now), logger);
  tellCreated(audit, name, id, snapshot, logger);
}

/** Tells the watcher riding on `audit` (if any) of a record's creation, whose entry was written with it. */
export function tellCreated(audit: WatchedAuditLog | undefined, name: MachineName, id: string, snapshot: WatchedSnapshot, logger: Logger): void {
  tellWatcher(audit, (watcher) => watcher.created(name, id, snapshot), logger);
}

/** Stored text that is not an envelope at all is unreadable like a snapshot that cannot be migrated. */
async function unlessGarbled<T>(read: Promise<T>, onGarbled: T, name: MachineName, id: string, logger: Logger): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (!(error instanceof UnreadableRecordError)) throw error;
    logger.warn({ machine: name, recordId: id, reason: error.message }, 'unreadable record treated as expired');
    return onGarbled;
  }
}

/** Restores a record; null when absent or unreadable (logged, and treated as expired). */
export async function loadRecord<N extends MachineName>(
  records: Pick<ActorRecords, 'load'>,
  name: N,
  id: string,
  logger: Logger,
): Promise<{ envelope: Envelope; snapshot: Snapshot<N> } | null> {
  return restoreOrNull(name, id, await unlessGarbled(records.load(id), null, name, id, logger), logger);
}

/**
 * Restores a record read together with its id (a refresh token found by its secret's hash, in one
 * round trip); null when none was found or it is unreadable (logged under `lookup`, and treated as expired).
 */
export async function restoreFound<N extends MachineName, F extends { id: string; envelope: Envelope }>(
  found: Promise<F | null>,
  name: N,
  lookup: string,
  logger: Logger,
): Promise<(F & { snapshot: Snapshot<N> }) | null> {
  const record = await unlessGarbled(found, null, name, lookup, logger);
  const restored = record === null ? null : restoreOrNull(name, record.id, record.envelope, logger);
  return restored === null || record === null ? null : { ...record, snapshot: restored.snapshot };
}

function restoreOrNull<N extends MachineName>(name: N, id: string, envelope: Envelope | null, logger: Logger) {
  if (envelope === null) return null;
  const restored = restoreSnapshot(name, envelope);
  if (!restored.ok) {
    logger.warn({ machine: name, recordId: id, reason: restored.reason }, 'unreadable record treated as expired');
    return null;
  }
  return { envelope, snapshot: restored.snapshot };
}

/** Applies `event` to the record `id`; null when there is no readable record. */
/** Every lifecycle event carries its `now` (ARCHITECTURE.md: time arrives in events). */
function transitionEntry(name: MachineName, id: string, event: EmittedEvent, before: unknown, after: unknown, emitted: EmittedEvent[]) {
  const [from, to] = [before, after] as Array<{ value: unknown; context: unknown }>;
  const at = typeof event.now === 'number' ? event.now : 0;
  return auditEntry({ machine: name, recordId: id, event, from: String(from?.value), to: to?.value, context: to?.context, emitted, at });
}

export async function transitionRecord<N extends MachineName>(
  records: RecordAccess,
  name: N,
  id: string,
  event: EventOf<N>,
  options: TransitionOptions<N>,
): Promise<Transitioned<N> | null> {
  const maxAttempts = options.maxAttempts ?? 8;
  const { logger } = options;
  let current = options.loaded ?? restoreOrNull(name, id, await unlessGarbled(records.load(id), null, name, id, logger), logger);
  for (let attempt = 1; current !== null; attempt += 1) {
    const { envelope, snapshot: before } = current;
    const [after, actions] = step(name, before, event);
    const emitted = emittedBy(actions);
    const changed = persistedJson(name, before) !== persistedJson(name, after);
    if (!changed && emitted.length === 0) return { before, after, emitted, changed };
    const next = toEnvelope(name, after, envelope.rev + 1);
    const ttl = options.ttlAfter?.(after);
    const entry = options.audit === undefined ? undefined : transitionEntry(name, id, event, before, after, emitted);
    const inWrite = options.auditInWrite === true && entry !== undefined ? [entry] : [];
    const write = options.write === undefined ? records.compareAndSet(id, envelope.rev, next, ttl, inWrite) : options.write(id, envelope.rev, next, ttl, after, inWrite);
    const result = await unlessGarbled<CasResult>(write, { ok: false, current: null }, name, id, logger);
    if (result.ok) {
      if (inWrite.length === 0 && entry !== undefined) recordInAudit(options.audit, entry, logger);
      tellWatcher(options.audit, (watcher) => watcher.transitioned(name, id, event, after), logger);
      return { before, after, emitted, changed };
    }
    if (attempt >= maxAttempts) throw new TooMuchContentionError(name, id, attempt);
    current = restoreOrNull(name, id, result.current, logger);
  }
  return null;
}
