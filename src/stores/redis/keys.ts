/**
 * The Redis key layout, in one place. Every key and the revocation channel start with the
 * configured prefix, taken as is (end it with `:`), so that several deployments or test runs share
 * one Redis without seeing each other, and `SCAN MATCH <prefix>*` finds all of one deployment's keys.
 *
 *   <p>grant:<codeHash>          hash {rev, env}             PX TTL (10 min from issue)
 *   <p>flow:<flowId>             hash {rev, env}             PX TTL (flow TTL)
 *   <p>flows-of:<client>         sorted set flow id → expiry (ms): a client's open flows, PX TTL (its newest flow's)
 *   <p>mfa-flow:<flowId>         hash {rev, env}             PX TTL (MFA setup window)
 *   <p>rt:<id>                   hash {rev, env, hash, user, cred, used_at, used_ip} no TTL while usable; tombstones get one
 *   <p>rt-hash:<tokenHash>       string → refresh token id   same TTL as its record
 *   <p>user-rts:<userId>         set of refresh token ids    members cleaned when their record is gone
 *   <p>users                     hash userId → User JSON     (also the list of user ids)
 *   <p>owners                    set of ids of users with isOwner
 *   <p>onboarded                 string: onboarding's user step is done (types.ts OnboardingState); by whom
 *   <p>credential:<id>           hash {json, user, lookup}
 *   <p>cred:<type>:<pid|%>:<lookupKey>  string → credential id (`lookup` above is this name minus <p>)
 *   <p>user-creds:<userId>       set of credential ids
 *   <p>passwords                 hash username → password hash
 *   <p>mfa:<userId>              hash secret:<moduleId> → MFA secret, step:<moduleId> → last accepted step
 *   <p>secret:<name>             string: a deployment-wide secret (signed paths, OAuth2 state), sealed
 *   <p>sealed-with               string: the sealing marker (stores/sealing/sealing-marker.ts)
 *   <p>login-failures:<ip>       string: failed logins of the address, PX TTL slid by each failure
 *   <p>ip-bans                   hash ip → banned_at (epoch ms); entries stay until lifted
 *   <p>ip-ban-changes            pub/sub channel: `+<ip>` (banned) or `-<ip>` (lifted), published by the scripts
 *   <p>audit                     stream of audit entries (field `e`: JSON), capped with MAXLEN ~
 *   <p>audit:<recordId>          list of that record's audit entries (JSON), capped, month TTL
 *   <p>audit-held:<recordId>     list of that record's held audit entries (types.ts AuditHold), PX TTL: the hold
 *   <p>audit-user:<userId>       list of the audit entries naming that user (JSON), capped, month TTL
 *   <p>revocations               pub/sub channel: JSON array of refresh token ids
 *   <p>in-state:<machine>:<state>  sorted set record id → its record's expiry (ms, +inf for none): the
 *                                records of that machine in that state, kept by the records' writes
 *                                (record-counts.ts); members past their score are trimmed lazily
 *   <p>states-of:<machine>       set of the states whose `in-state` set may hold members (what a count reads)
 *   <p>in-state-filled           string: the `in-state` sets hold the records written before them (the one-time fill)
 *   <p>transitions               pub/sub channel: one TransitionNotice as JSON (types.ts), while someone watches
 *   <p>ended:<machine>:<state>:<minute>  string: records that reached a state deleting them, in that minute
 *                                (epoch ms / 60000), PX TTL past the last hour (ended-records.ts)
 *
 * Scripts that follow a reference stored in Redis (a token's hash, a user's credentials) build the
 * referenced key from a stem passed as an argument, so this file stays the only place that names keys.
 *
 * The counts' keys are per (machine, state) and per machine rather than one for the deployment, so
 * that a Redis Cluster layout can give them hash tags of their own (or split a state's set per tag of
 * the records it counts) without renaming what a count reads: none of them is on a request's path
 * other than in the record's own write.
 */

import type { MachineName } from '../../../machines/index.js';

/** `null` provider ids (Home Assistant's default providers) are stored as a bare `%`, which
 * `encodeURIComponent` never produces, so it cannot collide with a provider id. */
const NO_PROVIDER_ID = '%';

export interface RedisKeys {
  readonly prefix: string;
  readonly grant: (id: string) => string;
  readonly flow: (id: string) => string;
  readonly flowsOf: (client: string) => string;
  readonly mfaSetupFlow: (id: string) => string;
  /** The user's MFA entries: fields `secret:<module id>` and `step:<module id>`. */
  readonly mfa: (userId: string) => string;
  readonly refreshToken: (id: string) => string;
  readonly refreshTokenHash: (tokenHash: string) => string;
  readonly userRefreshTokens: (userId: string) => string;
  readonly users: string;
  readonly owners: string;
  readonly onboarded: string;
  readonly credential: (id: string) => string;
  /** The lookup key's name without the prefix: what a credential record keeps in its `lookup` field. */
  readonly credentialLookupSuffix: (type: string, providerId: string | null, lookupKey: string) => string;
  readonly userCredentials: (userId: string) => string;
  readonly passwords: string;
  readonly secret: (name: string) => string;
  readonly sealingMarker: string;
  readonly loginFailures: (ip: string) => string;
  readonly ipBans: string;
  readonly banChannel: string;
  readonly audit: string;
  readonly auditRecord: (recordId: string) => string;
  readonly auditHeld: (recordId: string) => string;
  readonly auditUser: (userId: string) => string;
  readonly revocationChannel: string;
  /** The sorted set of the machine's records in `state` (record-counts.ts). */
  readonly inState: (machine: MachineName, state: string) => string;
  readonly statesOf: (machine: MachineName) => string;
  readonly inStateFilled: string;
  readonly transitionChannel: string;
  readonly endedRecords: (machine: string, state: string, minute: number) => string;
  /** Stems for scripts: `stem + id` is the key. */
  readonly stems: {
    refreshToken: string;
    refreshTokenHash: string;
    userRefreshTokens: string;
    credential: string;
    userCredentials: string;
  };
}

export function redisKeys(prefix: string): RedisKeys {
  const stems = {
    refreshToken: `${prefix}rt:`,
    refreshTokenHash: `${prefix}rt-hash:`,
    userRefreshTokens: `${prefix}user-rts:`,
    credential: `${prefix}credential:`,
    userCredentials: `${prefix}user-creds:`,
  };
  return {
    prefix,
    grant: (id) => `${prefix}grant:${id}`,
    flow: (id) => `${prefix}flow:${id}`,
    flowsOf: (client) => `${prefix}flows-of:${client}`,
    mfaSetupFlow: (id) => `${prefix}mfa-flow:${id}`,
    mfa: (userId) => `${prefix}mfa:${userId}`,
    refreshToken: (id) => stems.refreshToken + id,
    refreshTokenHash: (tokenHash) => stems.refreshTokenHash + tokenHash,
    userRefreshTokens: (userId) => stems.userRefreshTokens + userId,
    users: `${prefix}users`,
    owners: `${prefix}owners`,
    onboarded: `${prefix}onboarded`,
    credential: (id) => stems.credential + id,
    // Type and provider id are encoded so that a `:` inside them cannot shift the fields; the lookup
    // key comes last, so it may hold anything and stays readable (it is the username).
    credentialLookupSuffix: (type, providerId, lookupKey) =>
      `cred:${encodeURIComponent(type)}:${providerId === null ? NO_PROVIDER_ID : encodeURIComponent(providerId)}:${lookupKey}`,
    userCredentials: (userId) => stems.userCredentials + userId,
    passwords: `${prefix}passwords`,
    secret: (name) => `${prefix}secret:${name}`,
    sealingMarker: `${prefix}sealed-with`,
    loginFailures: (ip) => `${prefix}login-failures:${ip}`,
    ipBans: `${prefix}ip-bans`,
    banChannel: `${prefix}ip-ban-changes`,
    audit: `${prefix}audit`,
    auditRecord: (recordId) => `${prefix}audit:${recordId}`,
    auditHeld: (recordId) => `${prefix}audit-held:${recordId}`,
    auditUser: (userId) => `${prefix}audit-user:${userId}`,
    revocationChannel: `${prefix}revocations`,
    inState: (machine, state) => `${prefix}in-state:${machine}:${state}`,
    statesOf: (machine) => `${prefix}states-of:${machine}`,
    inStateFilled: `${prefix}in-state-filled`,
    transitionChannel: `${prefix}transitions`,
    endedRecords: (machine, state, minute) => `${prefix}ended:${machine}:${state}:${minute}`,
    stems,
  };
}
