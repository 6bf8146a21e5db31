/**
 * The store contract: what every adapter (embedded SQLite, Redis) provides to the services.
 * One contract suite (test/stores/contract.ts) runs against every adapter.
 *
 * Persisted lifecycles (grants, refresh tokens, login and MFA setup flows) are kept as envelopes and
 * changed only with compare-and-set on `rev`, so that two instances can never both apply a transition
 * to the same revision (ARCHITECTURE.md, "Every write is a compare-and-set"). TTLs only collect garbage: the
 * machines' guards on `now` decide expiry.
 */
import type { MachineName } from '../../machines/index.js';
import type { RecordedUse } from '../../machines/refresh-token.js';
import { CodedError } from '../domain/errors.js';
import type { AuditHold } from './audit-limits.js';
import type { FlowStore } from './flow-store.js';
import type { OnboardingState } from './onboarding-state.js';
import type { SealingPass } from './sealing/sealing-marker.js';
import type { Credential, PasswordEntry, User } from '../domain/models.js';

export type { AuditHold, FlowStore, OnboardingState };
export type { FlowOpening } from './flow-store.js';
export type { SealingPass };

/** A persisted actor: the machine it belongs to, that machine's version, a revision, its snapshot. */
export interface Envelope {
  machine: MachineName;
  v: number;
  /** 1 on create, +1 on every successful compare-and-set. */
  rev: number;
  /** The machine's persisted snapshot (`machine.getPersistedSnapshot`) as plain JSON. */
  snapshot: unknown;
}

/** A failed compare-and-set returns what is stored now (null when nothing is), read in the same round trip. */
export type CasResult = { ok: true } | { ok: false; current: Envelope | null };

/**
 * `number` sets a time to live in ms from now (0 or less: gone at once), `null` removes it,
 * `undefined` keeps the current one.
 */
export type TtlChange = number | null | undefined;

/**
 * Envelopes under an id, with create-if-absent and compare-and-set. Stored text that is not an
 * envelope makes `load` and `compareAndSet` reject with UnreadableRecordError (envelope-codec.ts);
 * a `rev` that breaks the rules below makes a write reject with RangeError, writing nothing.
 */
export interface ActorRecords {
  /** The live envelope, or null when absent or past its TTL. */
  load(id: string): Promise<Envelope | null>;
  /**
   * Writes only when no live record has this id; false otherwise. `envelope.rev` must be 1. `audit`:
   * entries kept in the trail by the same write (AuditLog.append's, unheld), only if it writes.
   */
  create(id: string, envelope: Envelope, ttlMs: number | null, audit?: readonly AuditEntry[]): Promise<boolean>;
  /**
   * Writes `next` (with `next.rev === expectedRev + 1`) only if the stored rev is `expectedRev`, and
   * then `audit` (as `create`'s) in the same atomic write: one round trip for a transition and its trail.
   */
  compareAndSet(id: string, expectedRev: number, next: Envelope, ttl?: TtlChange, audit?: readonly AuditEntry[]): Promise<CasResult>;
  delete(id: string): Promise<void>;
}

/**
 * A record's compare-and-set and a refresh token's creation in one atomic write, both or neither: the
 * shape of a rotation (RefreshTokenStore.exchange) and of a code exchange (GrantStore.redeem).
 */
export type CompareAndSetCreatingToken = (
  id: string,
  expectedRev: number,
  next: Envelope,
  ttl: TtlChange,
  token: { keys: RefreshTokenKeys; envelope: Envelope },
  audit?: readonly AuditEntry[],
) => Promise<CasResult>;

/** Login grants (authorization codes), keyed by the SHA-256 of the code: the code itself is never stored. */
export interface GrantStore extends ActorRecords {
  /**
   * The code exchange's one read (issue 16): the live grant `id` with the stored credential whose id
   * its snapshot's login names (`context.credential.id`) and that credential's user, each null when
   * absent; null when there is no live grant. Rejects with UnreadableRecordError as `load` does.
   */
  loadRedemption(id: string): Promise<GrantRedemptionRecord | null>;
  /**
   * The code exchange's one write (issue 16): `compareAndSet(id, expectedRev, next, ttl)` and
   * RefreshTokenStore's `create(token.keys, token.envelope)` together, both or neither, so that a
   * redeemed grant always names a token that exists (a replay revokes it: RFC 6749 §4.1.2). A lost
   * compare-and-set writes nothing and returns what is stored, as `compareAndSet` does; a token whose
   * id or hash is taken makes it reject with RangeError, writing nothing. `audit` as `compareAndSet`'s.
   */
  redeem: CompareAndSetCreatingToken;
}

/** A login grant with the login it stands for, as stored (GrantStore.loadRedemption). */
export interface GrantRedemptionRecord {
  envelope: Envelope;
  credential: Credential | null;
  user: User | null;
}

/** MFA setup flows (`auth/setup_mfa`), keyed by flow id. */
export type MfaSetupFlowStore = ActorRecords;

export interface RefreshTokenKeys {
  id: string;
  userId: string;
  /** SHA-256 (hex) of the 128-hex-char secret; the secret itself is never stored. */
  tokenHash: string;
  /** The credential the token was issued for (its snapshot's `credentialId`), kept beside it for `loadPresented`. */
  credentialId?: string | null;
}

/** Refresh tokens by id, findable by the hash of their secret and listable per user. */
export interface RefreshTokenStore extends Omit<ActorRecords, 'create'> {
  /** Writes the record and both indexes at once (and `audit`, as ActorRecords.create); false when the id or the hash is already taken. */
  create(keys: RefreshTokenKeys, envelope: Envelope, audit?: readonly AuditEntry[]): Promise<boolean>;
  /** The id whose secret hashes to `tokenHash`, or null. The record may be gone (check `load`). */
  findIdByTokenHash(tokenHash: string): Promise<string | null>;
  /**
   * The live record whose secret hashes to `tokenHash`, with its id, in one round trip (the refresh
   * grant's first read); null when there is none. Rejects with UnreadableRecordError as `load` does.
   */
  loadByTokenHash(tokenHash: string): Promise<{ id: string; envelope: Envelope } | null>;
  /**
   * The refresh grant's one read (issue 16): what `loadByTokenHash` finds, with the token's user and
   * the credential it was issued for (`credentialId` of its snapshot), each null when absent.
   */
  loadPresented(tokenHash: string): Promise<PresentedRecord | null>;
  /** What an access token's check reads (`GET /api/`, the WebSocket's auth), in one round trip: the record `id` and its user. */
  loadSession(id: string): Promise<{ envelope: Envelope; user: User | null } | null>;
  /** Every live, readable record of the user, in no particular order. */
  listByUser(userId: string): Promise<Array<{ id: string; envelope: Envelope }>>;
  /** Removes the record and its indexes (`delete` does the same). */
  delete(id: string): Promise<void>;
  /**
   * Records a use of the token beside its envelope (stores/refresh-token-use.ts), keeping the latest
   * use, when its revision is still `expectedRev`, without changing the envelope or the revision: uses
   * do not conflict with one another (issue 16), only with a transition written since the caller's
   * read (a revocation, a rotation), after which it writes nothing and returns what is stored, as
   * `compareAndSet` does. `audit` as `compareAndSet`'s. Every read of the token (`load`, the failed
   * writes' `current` too) gives its envelope with the latest use merged in.
   */
  recordUse(id: string, expectedRev: number, use: RecordedUse, audit?: readonly AuditEntry[]): Promise<CasResult>;
  /**
   * A rotation's one write (issue 17): `compareAndSet(id, expectedRev, next, ttl)` and
   * `create(successor.keys, successor.envelope)` together, both or neither, so that no successor
   * exists that its predecessor's record does not name. A lost compare-and-set writes nothing and
   * returns what is stored, as `compareAndSet` does; a successor whose id or hash is taken makes it
   * reject with RangeError, writing nothing.
   */
  exchange: CompareAndSetCreatingToken;
}

/** A refresh token found by its secret's hash, with what the refresh grant decides on. */
export interface PresentedRecord {
  id: string;
  envelope: Envelope;
  user: User | null;
  credential: Credential | null;
}

export interface UserStore extends OnboardingState {
  /**
   * False when the id exists; with `asOwner`, also when an owner exists; with `onboarding` (onboarding's
   * owner), also when onboarding is done (`isOnboarded`), which a true answer marked in the same step.
   */
  createUser(user: User, options?: { asOwner?: boolean; onboarding?: boolean }): Promise<boolean>;
  getUser(id: string): Promise<User | null>;
  listUsers(): Promise<User[]>;
  /** Replaces a user; false when it does not exist. Demoting an owner marks onboarding done (OnboardingState). */
  updateUser(user: User): Promise<boolean>;
  /** Removes the user and its credentials (an owner's removal marks onboarding done). Refresh tokens are the service's to end. */
  deleteUser(id: string): Promise<void>;
  /** False when the id, or the (provider type, provider id, lookup key) triple, is taken; rejects for an unknown user. */
  addCredential(credential: Credential): Promise<boolean>;
  findCredential(authProviderType: string, authProviderId: string | null, lookupKey: string): Promise<Credential | null>;
  getCredential(id: string): Promise<Credential | null>;
  listCredentials(userId: string): Promise<Credential[]>;
  removeCredential(id: string): Promise<void>;
  /**
   * Replaces the stored credential with this id, its `data` and `lookupKey`, moving its login in the
   * same step (a renamed `homeassistant` username: HA's `async_update_user_credentials_data`). False
   * when the id does not exist or the new login is another credential's. Rejects, writing nothing,
   * when `userId`, `authProviderType` or `authProviderId` differ from the stored ones: a credential
   * never moves to another user or provider, so that is the caller's bug.
   */
  updateCredential(credential: Credential): Promise<boolean>;
  /**
   * A `homeassistant` login renamed, in one step or not at all (Home Assistant changes the provider's
   * entry and the credential's data in memory at once; two writes here would leave, after a crash or
   * a store outage between them, a password entry whose name no credential holds): the password
   * entry `from` moves to `to` with its hash and, when given, `credential` replaces the stored one as
   * `updateCredential` does. 'taken' when `to` has an entry or the credential's new
   * login is another credential's; 'missing' when `from` has no entry or the credential does not
   * exist. Rejects, writing nothing, when the credential would move to another user or provider.
   */
  renameLogin(from: string, to: string, credential?: Credential): Promise<LoginRename>;
  /**
   * A `homeassistant` login added, in one step or not at all, for the same reason: the password
   * entry, and `credential` unless its login is already a credential of the same user (one that lost
   * its entry), which it then keeps. Rejects, writing nothing, for an unknown user (as
   * `addCredential`); else 'username_taken' when the entry's username has one, 'credential_taken'
   * when the login is another user's credential.
   */
  addLogin(entry: PasswordEntry, credential: Credential): Promise<LoginAdd>;
  /** The `homeassistant` provider's entries. `addPassword` is false when the username exists. */
  addPassword(entry: PasswordEntry): Promise<boolean>;
  getPassword(username: string): Promise<PasswordEntry | null>;
  /** Replaces the hash; false when the username does not exist. */
  setPassword(entry: PasswordEntry): Promise<boolean>;
  deletePassword(username: string): Promise<void>;
  listPasswords(): Promise<PasswordEntry[]>;
}

/** What `UserStore.renameLogin` did. */
export type LoginRename = 'renamed' | 'taken' | 'missing';

/** What `UserStore.addLogin` did. */
export type LoginAdd = 'added' | 'username_taken' | 'credential_taken';

/**
 * What users set up for their MFA modules, per (module id, user id): Home Assistant's
 * `.storage/auth_module.totp` `{"users": {"<user_id>": "<base32 secret>"}}` (ha-auth-spec §14.5), one
 * entry per configured module id. The TOTP secret is an HMAC key, stored sealed (like `jwt_key`s,
 * sealing/sealer.ts); nobody logs it. Beside it, the last time step a code was accepted at: a code is good once, where
 * Home Assistant accepts it again while it is in its window. Deleting a user deletes its entries.
 */
export interface MfaStore {
  /**
   * The user's secret for the module, or null when the user has not set the module up. Rejects with
   * UnreadableRecordError when the stored secret opens with no key given (altered, or a dropped key).
   */
  getSecret(moduleId: string, userId: string): Promise<string | null>;
  /**
   * Sets up the module for the user, replacing a previous secret, with `acceptedStep` as the last
   * accepted time step (the step of the code that confirmed the setup). False, writing nothing, when
   * the user does not exist.
   */
  setSecret(moduleId: string, userId: string, secret: string, acceptedStep: number): Promise<boolean>;
  /** Removes the user's secret and step for the module; nothing when there is none. */
  deleteSecret(moduleId: string, userId: string): Promise<void>;
  /** The ids of the modules the user has set up, in no particular order. */
  listModuleIds(userId: string): Promise<string[]>;
  /**
   * Compare-and-set of the replay guard: moves the last accepted step to `step` only when the stored
   * secret is still `secret` (the one the code was checked against) and `step` is greater than the
   * last accepted step. True when it moved: of two callers racing with one code, exactly one gets true.
   */
  acceptStep(moduleId: string, userId: string, secret: string, step: number): Promise<boolean>;
}

/**
 * Secrets the whole deployment shares, such as the signed-path secret (Home Assistant keeps it in
 * memory, so signed URLs die on restart and differ between replicas: ha-auth-spec §16.2 #1), stored
 * sealed. One that opens with no key given is replaced by the candidate (compare-and-set).
 */
export interface SecretStore {
  /** The secret stored under `name`; when there is none yet, `candidate` becomes it (first writer wins). */
  getOrCreate(name: string, candidate: string): Promise<string>;
}

/** A banned address: Home Assistant's `ip_bans.yaml` entry `{"<ip>": {"banned_at": <datetime>}}`, time in epoch ms. */
export interface IpBan {
  ip: string;
  bannedAt: number;
}

export interface FailedLoginOutcome {
  /** The address' failures within the window, this one included. */
  count: number;
  /** True for the one call whose failure banned the address; false when it was banned already. */
  banned: boolean;
}

/**
 * What an instance's copy of the ban list hears (`LoginAttemptStore.watchBans`), so that the ban check
 * every request makes needs no round trip and still sees every ban and lift at once, wherever made.
 */
export interface BanWatcher {
  /** A ban was added (`banned`) or lifted, by any instance or the command line, in the order the store applied them. */
  changed(ip: string, banned: boolean): void;
  /** The watch is in place (again): every later change will be heard, earlier ones may have been missed. */
  listening(): void;
  /** The watch is interrupted (Redis reconnecting): changes may go unheard until `listening` again. */
  interrupted(): void;
}

/**
 * Failed-login accounting and IP bans (ha-auth-spec §11), shared by every instance so that an
 * attacker cannot spread guesses over replicas, and kept across restarts. Home Assistant keeps the
 * counters in memory (reset on restart) and the bans in `ip_bans.yaml`. Addresses are taken as given
 * (the service normalizes them). A counter is forgotten `windowMs` after its address' last failure;
 * a ban stays until it is lifted, as in Home Assistant.
 */
export interface LoginAttemptStore {
  /**
   * Counts one failure of `ip` and, when the count reaches `threshold` (≥ 1), bans it with `now` as
   * `bannedAt`, in one atomic step: of callers racing past the threshold exactly one gets `banned`.
   */
  recordFailure(ip: string, options: { threshold: number; windowMs: number; now: number }): Promise<FailedLoginOutcome>;
  /** The address' failures within the window; 0 when none. */
  failureCount(ip: string): Promise<number>;
  /** Forgets the address' failures (a successful login: Home Assistant pops the counter). */
  resetFailures(ip: string): Promise<void>;
  isBanned(ip: string): Promise<boolean>;
  /** Every ban, oldest first. */
  listBans(): Promise<IpBan[]>;
  /**
   * Removes the ban and the address' failures (else its next failure would ban it again); false,
   * changing nothing, when the address was not banned.
   */
  liftBan(ip: string): Promise<boolean>;
  /**
   * Tells `watcher` of every later ban and lift (those of this store object too), starting with
   * `listening` once the watch is in place. Not a round trip. Returns the function that stops it.
   */
  watchBans(watcher: BanWatcher): () => void;
}

/** Tells every instance that refresh tokens ended, so each closes the sockets authenticated with them. */
export interface RevocationBus {
  publish(refreshTokenIds: string[]): Promise<void>;
  /**
   * The listener gets each id once per publish made after `subscribe` returns, on every instance
   * (this one too). Returns an unsubscribe.
   */
  subscribe(listener: (refreshTokenId: string) => void): () => void;
  /**
   * The listener is called after the bus's subscription was interrupted and is back: ids published
   * meanwhile may have been lost, so holders must re-check what they hold (e.g. that each open
   * socket's refresh token is still usable). By then new publishes are heard again. Returns an
   * unsubscribe.
   */
  onMissedMessages(listener: () => void): () => void;
}

/**
 * One written transition as the inspection page's live feed shows it (`inspect/subscribe_transitions`),
 * built from an allowlist (observability/transition-feed.ts): the record's id (no secret: a code's
 * record is named by its SHA-256), the event's type, the states, which instance wrote it and when.
 * Nothing of the event's other fields or of the context, so no code, token hash, password, `jwt_key`
 * or TOTP secret can be in it.
 */
export interface TransitionNotice {
  machine: MachineName;
  recordId: string;
  /** The event's type, or `create` for the record's first write. */
  event: string;
  /** Null for a creation. */
  from: string | null;
  to: string;
  /** The instance that wrote it (AppDeps.instanceId). */
  instance: string;
  /** Epoch ms, by the writing instance's clock. */
  at: number;
}

/**
 * Transitions as they are written, told to the watchers of every instance (the embedded store's one
 * process, or every instance on the Redis). Best effort: a notice lost while Redis reconnects is a
 * gap in a feed that people watch, never a decision.
 */
export interface TransitionChannel {
  /**
   * Whether a notice published now may reach a watcher somewhere: when false the publisher skips
   * building it, so that a transition costs nothing more while nobody watches.
   */
  wanted(): boolean;
  /** Sends the notice to every instance's watchers, this one's too; never rejects. */
  publish(notice: TransitionNotice): void;
  /** The watcher hears every notice published after this returns, whichever instance wrote it; returns the function that stops it. */
  watch(watcher: (notice: TransitionNotice) => void): () => void;
}

/** A state whose records are deleted as soon as they reach it (a login flow's `done`). */
export interface EndedState {
  machine: MachineName;
  state: string;
}

/**
 * How many records reached each state that deletes them at once, per minute, shared by every instance:
 * the live count of such a state is always about 0, so the inspection page shows the last hour's.
 */
export interface EndedRecordCounts {
  /** Counts one record that reached `state` at `at` (epoch ms). */
  count(ended: EndedState, at: number): Promise<void>;
  /** For each of `states`, how many reached it in the 60 minutes up to `now` (by whole minutes, this one included). */
  lastHour(states: readonly EndedState[], now: number): Promise<Array<EndedState & { count: number }>>;
}

/**
 * One transition of a persisted actor, as the audit trail keeps it (issue: "every transition of
 * every persisted actor"). Never a secret: a grant's record id is the SHA-256 of its code, and no
 * snapshot context is kept, only the fields below.
 */
export interface AuditEntry {
  /** Epoch ms: the `now` of the event. */
  at: number;
  machine: MachineName;
  recordId: string;
  /** The event's type, or `create` for the record's first write. */
  event: string;
  from: string | null;
  to: string;
  userId: string | null;
  clientId: string | null;
  ip: string | null;
  /** What else the event said that is no secret: a revocation's reason, a rotation's successor. */
  detail: string | null;
}

/** The audit trail: capped, shared by every instance. */
export interface AuditLog {
  /** Records a kept entry, or, with `hold`, a held one (AuditHold). */
  append(entry: AuditEntry, hold?: AuditHold): Promise<void>;
  /** The newest `limit` kept entries, oldest first (held entries count from when they were kept). */
  tail(limit: number): Promise<AuditEntry[]>;
  /** The kept and still-held entries of one record, oldest first. */
  forRecord(recordId: string): Promise<AuditEntry[]>;
  /** The newest `limit` (at most AUDIT_MAX_PER_USER) kept entries whose `userId` is this user, oldest first. */
  forUser(userId: string, limit: number): Promise<AuditEntry[]>;
}

/**
 * Live records of each persisted machine by the state of their snapshot, across every instance:
 * `{refreshToken: {issued: 12, revoked: 3}, loginGrant: {}, …}`. Every machine is present; a state
 * appears only when it has records. Records past their TTL and unreadable ones are not counted.
 */
export type RecordCounts = Record<MachineName, Record<string, number>>;

/**
 * Where new ids and secrets must be minted so that the one write joining two records reaches both:
 * on Redis Cluster, in one hash slot (redis/keys.ts), which a write's script cannot leave; on one
 * Redis server or SQLite anything goes.
 */
export interface RecordPlacement {
  /**
   * `mint()`, again until what it minted lands with `anchor` (a record's id, a flow's client key);
   * `placedBy` names where a minted value lands (a secret: its hash), by default the value itself.
   */
  near<T extends string>(anchor: string, mint: () => T, placedBy?: (minted: T) => string): T;
}

export interface Store {
  readonly kind: 'sqlite' | 'redis';
  readonly placement: RecordPlacement;
  readonly users: UserStore;
  readonly grants: GrantStore;
  readonly refreshTokens: RefreshTokenStore;
  readonly flows: FlowStore;
  readonly mfaSetupFlows: MfaSetupFlowStore;
  readonly mfa: MfaStore;
  readonly revocations: RevocationBus;
  readonly transitions: TransitionChannel;
  readonly endedRecords: EndedRecordCounts;
  readonly secrets: SecretStore;
  readonly loginAttempts: LoginAttemptStore;
  readonly audit: AuditLog;
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * Counts the live records of grants, flows, MFA setup flows and refresh tokens by state (the
   * inspection page, `hass_auth_records`), from counts that the records' own writes keep in the same
   * atomic step (a trigger on SQLite, the write's script on Redis): O(states), not O(records), and
   * records past their TTL leave the counts without a write (each adapter's record-counts.ts says how).
   */
  countByState(): Promise<RecordCounts>;
  /**
   * Seals again with the first key every stored secret not sealed with it, and marks the store so
   * (sealing/sealing-marker.ts: what opening does when the mark asks). O(stored secrets).
   */
  sealSecrets(): Promise<SealingPass>;
  close(): Promise<void>;
}

/** The store cannot be reached (Redis down): the service answers 503, never a 500; `message` is for the log. */
export class StoreUnavailableError extends CodedError<'store_unavailable'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_unavailable', undefined, { message, cause: options?.cause });
    this.name = 'StoreUnavailableError';
  }
}
