/**
 * The persisted-actor runtime (ARCHITECTURE.md, "Every write is a compare-and-set"): one handle per
 * machine and record space, typed from the machine, binding what every use of that machine shares
 * (its records, the trail, the observers, the TTL after a transition), so that a service says only
 * what is its own: which record, which event, and what to do with what the machine emitted.
 *
 * A transition: load the envelope → restore → `step` (machine-step.ts) → compare-and-set the next
 * envelope on the revision that was read, with the transition's audit entry in the same write → on
 * conflict, retry from the record the store returned → hand the emitted events back to the caller,
 * who performs the effects only now that the write won. Transitions are pure, so a retry simply
 * recomputes from the newer snapshot: if another instance redeemed a code first, the retry sees
 * `redeemed` and the machine decides what a second REDEEM means.
 */
import type { EmittedFrom, EventFromLogic, InputFrom } from 'xstate';
import type { MachineName, MachineOf } from '../../machines/index.js';
import { CodedError } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { toEnvelope } from '../stores/envelope.js';
import type { ActorRecords, AuditEntry, AuditLog, CasResult, Envelope, TtlChange } from '../stores/types.js';
import { creationEntry, recordInAudit, transitionEntry } from './audit-trail.js';
import { step, type StepAction } from './machine-step.js';
import { unchanged } from './unchanged.js';
import { tellObservers, type TransitionObserver } from './observers.js';
import { initialEnvelope, loadRecord, restoreFound, restoreOrNull, unlessGarbled, type Loaded, type Snapshot } from './records.js';

type EventOf<N extends MachineName> = EventFromLogic<MachineOf<N>>;
export type EmittedOf<N extends MachineName> = EmittedFrom<MachineOf<N>>;

export interface Transitioned<N extends MachineName> {
  before: Snapshot<N>;
  after: Snapshot<N>;
  /** What the machine emitted (`emit(...)` actions): the effects to perform after the write. */
  emitted: EmittedOf<N>[];
  /** False when the event changed nothing (nothing was written). */
  changed: boolean;
}

/**
 * A write that is more than the record's compare-and-set (a rotation also creates the successor), or
 * less (a refresh token's use, kept beside an envelope it leaves as it is). `next` encodes the next
 * envelope when called, once: a write that keeps none does not pay for it.
 */
export type TransitionWrite<N extends MachineName> = (
  id: string,
  expectedRev: number,
  next: () => Envelope,
  ttl: TtlChange,
  after: Snapshot<N>,
  audit: AuditEntry[],
) => Promise<CasResult>;

/** A record still changed by others after every retry: busy, not broken (`too_much_contention`). */
export class TooMuchContentionError extends CodedError<'too_much_contention'> {
  constructor(name: MachineName, id: string, attempts: number) {
    super('too_much_contention', undefined, { message: `${name} ${id}: still conflicting after ${attempts} attempts` });
    this.name = 'TooMuchContentionError';
  }
}

/** What every use of a machine shares. */
export interface HandleOptions<N extends MachineName> {
  logger: Logger;
  /** Where each written record is recorded (the store's audit trail); none for no trail. */
  audit?: AuditLog;
  /**
   * Whether entries go into the record's own write (ActorRecords' `audit`: one round trip for both,
   * issue 16) rather than being appended after it. Records whose entries the trail may hold (login
   * flows, AuditHold) append them instead.
   */
  auditInWrite?: boolean;
  observers?: readonly TransitionObserver[];
  /** The TTL to give the record after a transition (undefined keeps the current one). */
  ttlAfter?: (after: Snapshot<N>) => TtlChange;
  /** Conflicts to absorb before giving up; each retry is one store round trip. */
  maxAttempts?: number;
}

/** What one transition may add to its handle's options. */
export interface TransitionOptions<N extends MachineName> {
  /**
   * The record as the caller has just read it: the first attempt starts from it instead of reading
   * it again. If it is stale by now, the compare-and-set loses and returns the record now stored, so
   * the cost is the round trip this saves.
   */
  loaded?: Loaded<N>;
  write?: TransitionWrite<N>;
  /** Another trail for this record (a login flow's, which holds entries: services/login/login-flow-audit.ts). */
  audit?: AuditLog;
}

export interface ActorHandle<N extends MachineName> {
  readonly name: N;
  /** The record `id` restored; null when absent or unreadable (logged, and treated as expired). */
  load(id: string): Promise<Loaded<N> | null>;
  /** A record read with more (its id, its user…) restored; null as `load`. `lookup` names it in logs. */
  restore<F extends { id: string; envelope: Envelope }>(found: Promise<F | null>, lookup: string): Promise<(F & { snapshot: Snapshot<N> }) | null>;
  /** A new record's initial snapshot and envelope, not yet written. */
  initial(input: InputFrom<MachineOf<N>>): Loaded<N>;
  /** The audit entries a new record's write keeps (none when its trail is appended after the write). */
  creationAudit(id: string, snapshot: Snapshot<N>, now: number): AuditEntry[];
  /** Tells the observers, and the trail unless the write kept its entry, of a record that `write` created. */
  created(id: string, snapshot: Snapshot<N>, now: number, audit?: AuditLog): void;
  /**
   * Creates the record with `write` (the store's create, given the envelope and the entries to keep);
   * `created` is false when the id is taken.
   */
  create(id: string, input: InputFrom<MachineOf<N>>, now: number, write: (envelope: Envelope, audit: AuditEntry[]) => Promise<boolean>, audit?: AuditLog): Promise<{ created: boolean } & Loaded<N>>;
  /** Applies `event` to the record `id`; null when there is no readable record. */
  transition(id: string, event: EventOf<N>, options?: TransitionOptions<N>): Promise<Transitioned<N> | null>;
}

function emittedBy<N extends MachineName>(actions: readonly StepAction[]): EmittedOf<N>[] {
  return actions.filter((action) => action.type === 'xstate.emit').map((action) => (action.params as { event: EmittedOf<N> }).event);
}

export function actorHandle<N extends MachineName>(
  name: N,
  records: Pick<ActorRecords, 'load' | 'compareAndSet'>,
  options: HandleOptions<N>,
): ActorHandle<N> {
  const { logger, observers = [], maxAttempts = 8 } = options;
  const inWrite = options.auditInWrite === true && options.audit !== undefined;

  const handle: ActorHandle<N> = {
    name,
    load: (id) => loadRecord(records, name, id, logger),
    restore: (found, lookup) => restoreFound(found, name, lookup, logger),
    initial: (input) => initialEnvelope(name, input),
    creationAudit: (id, snapshot, now) => (inWrite ? [creationEntry(name, id, snapshot, now)] : []),
    created(id, snapshot, now, audit = options.audit) {
      if (!inWrite || audit !== options.audit) recordInAudit(audit, creationEntry(name, id, snapshot, now), logger);
      tellObservers(observers, (observer) => observer.created(name, id, snapshot), logger);
    },
    async create(id, input, now, write, audit) {
      const { snapshot, envelope } = initialEnvelope(name, input);
      const created = await write(envelope, audit === undefined ? handle.creationAudit(id, snapshot, now) : []);
      if (created) handle.created(id, snapshot, now, audit);
      return { created, snapshot, envelope };
    },
    async transition(id, event, { loaded, write, audit = options.audit } = {}) {
      const keptInWrite = inWrite && audit === options.audit;
      let current = loaded ?? restoreOrNull(name, id, await unlessGarbled(records.load(id), null, name, id, logger), logger);
      for (let attempt = 1; current !== null; attempt += 1) {
        const { envelope, snapshot: before } = current;
        const [after, actions] = step(name, before, event);
        const emitted = emittedBy<N>(actions);
        const changed = !unchanged(before, after);
        if (!changed && emitted.length === 0) return { before, after, emitted, changed };
        let next: Envelope | undefined;
        const encoded = () => (next ??= toEnvelope(name, after, envelope.rev + 1));
        const ttl = options.ttlAfter?.(after);
        const entry = audit === undefined ? undefined : transitionEntry(name, id, event, before, after, emitted);
        const kept = keptInWrite && entry !== undefined ? [entry] : [];
        const written = write === undefined ? records.compareAndSet(id, envelope.rev, encoded(), ttl, kept) : write(id, envelope.rev, encoded, ttl, after, kept);
        const result = await unlessGarbled<CasResult>(written, { ok: false, current: null }, name, id, logger);
        if (result.ok) {
          if (kept.length === 0 && entry !== undefined) recordInAudit(audit, entry, logger);
          tellObservers(observers, (observer) => observer.transitioned(name, id, event, after, before), logger);
          return { before, after, emitted, changed };
        }
        if (attempt >= maxAttempts) throw new TooMuchContentionError(name, id, attempt);
        current = restoreOrNull(name, id, result.current, logger);
      }
      return null;
    },
  };
  return handle;
}
