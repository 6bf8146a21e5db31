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
 *   <p>rt-elsewhere:<tokenHash>  string → refresh token id   cluster only: an imported token whose hash and id name different buckets
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
 * The table names keys as on one server; on a cluster each gains a tag after <p> (below), and the
 * audit stream, the counts and the per-user lists are one per bucket.
 */

/**
 * On Redis Cluster (issue 15) every script and multi-key command must touch one hash slot, so the
 * names gain a hash tag after the prefix (`<p>{319}rt:<id>`, `<p>{d}users`); one server's names are
 * the same layout with empty tags, so nothing moves for a deployment on one server.
 *
 * - **The directory, `{d}`:** users, owners, onboarding, credentials and their logins, passwords,
 *   MFA secrets, deployment secrets, the sealing marker, login failures and bans, the ended-record
 *   counters, the counts' fill marker. Small, rarely written, and its scripts join several of these
 *   keys (a user with their credentials, a failure with the ban it triggers): one slot.
 * - **Sixteen buckets** (tags BUCKET_TAGS): the records (grants, flows, MFA setup flows, refresh tokens)
 *   with their indexes, their per-state counts and their audit trail. A record's bucket is a hash of
 *   its id (bucketOf). A write that joins two records (a rotation, a code exchange, a
 *   flow and its client's open flows) needs the new one minted in the other's bucket: the services
 *   mint ids and secrets through Store.placement. Each bucket keeps its own counts, audit stream and
 *   per-user lists; what spans the deployment (a count, the audit tail, a user's tokens or history)
 *   reads the sixteen.
 *
 * Sixteen slots spread over at most sixteen masters; the records, not the directory, are what grows.
 * docs/deployment.md says what this costs in round trips against one server.
 *
 * Scripts that follow a reference stored in Redis (a token's hash, a user's credentials) build the
 * referenced key from a stem passed as an argument, so this file stays the only place that names keys.
 */
import type { MachineName } from '../../../machines/index.js';

/** `null` provider ids (Home Assistant's default providers) are stored as a bare `%`, which
 * `encodeURIComponent` never produces, so it cannot collide with a provider id. */
const NO_PROVIDER_ID = '%';

/** The buckets of a cluster's records. */
export const CLUSTER_BUCKETS = 16;

/**
 * Each bucket's hash tag: its number in hex and the smallest number that puts the tag's slot (CRC16 mod
 * 16384) in the middle half of the bucket's sixteenth of the slots, so that masters given even
 * ranges of slots (as `redis-cli --cluster create` gives them) hold as even a share of the buckets as
 * can be: 6/5/5 on three masters, where the bare digits would give 4/6/6.
 */
export const BUCKET_TAGS: readonly string[] = ['029', '139', '2162', '319', '469', '579', '60', '759', '858', '948', 'a21', 'b68', 'c13', 'd128', 'e61', 'f28'];

/** The stems of one bucket's token families, for scripts that build a key from an id they read. */
export interface BucketStems {
  refreshToken: string;
  refreshTokenHash: string;
  userRefreshTokens: string;
}

export interface RedisKeys {
  readonly prefix: string;
  /** True on Redis Cluster: the names carry hash tags (above). */
  readonly cluster: boolean;
  /** How many buckets the records spread over: 1 on one server, CLUSTER_BUCKETS on a cluster. */
  readonly buckets: number;
  /** The bucket of a record id, token hash or client key (0 on one server). */
  readonly bucketOf: (text: string) => number;
  readonly grant: (id: string) => string;
  readonly flow: (id: string) => string;
  /** The open flows of a client, in its key's bucket: the flows it opens are minted there. */
  readonly flowsOf: (client: string) => string;
  readonly mfaSetupFlow: (id: string) => string;
  /** The user's MFA entries: fields `secret:<module id>` and `step:<module id>`. */
  readonly mfa: (userId: string) => string;
  readonly refreshToken: (id: string) => string;
  /** A token's hash index, in its record's bucket (`bucket`; by default the hash's own, which minted tokens share). */
  readonly refreshTokenHash: (tokenHash: string, bucket?: number) => string;
  /**
   * Cluster only: where an imported token's hash names another bucket than its id, its id in the
   * hash's bucket, so that a lookup by hash finds the record's bucket (redis/refresh-tokens.ts).
   */
  readonly refreshTokenElsewhere: (tokenHash: string) => string;
  readonly userRefreshTokens: (userId: string, bucket: number) => string;
  readonly users: string;
  readonly owners: string;
  readonly onboarded: string;
  /** Where directory keys start (the prefix and the directory's tag): a credential's lookup key is this and its suffix. */
  readonly directory: string;
  readonly credential: (id: string) => string;
  /** The lookup key's name after `directory`: what a credential record keeps in its `lookup` field. */
  readonly credentialLookupSuffix: (type: string, providerId: string | null, lookupKey: string) => string;
  readonly userCredentials: (userId: string) => string;
  readonly passwords: string;
  readonly secret: (name: string) => string;
  readonly sealingMarker: string;
  readonly loginFailures: (ip: string) => string;
  readonly ipBans: string;
  readonly banChannel: string;
  /** The audit stream of a bucket. */
  readonly audit: (bucket: number) => string;
  readonly auditRecord: (recordId: string) => string;
  readonly auditHeld: (recordId: string) => string;
  readonly auditUser: (userId: string, bucket: number) => string;
  readonly revocationChannel: string;
  /** The sorted set of the machine's records in `state` within a bucket (record-counts.ts). */
  readonly inState: (machine: MachineName, state: string, bucket: number) => string;
  readonly statesOf: (machine: MachineName, bucket: number) => string;
  readonly inStateFilled: string;
  readonly transitionChannel: string;
  readonly endedRecords: (machine: string, state: string, minute: number) => string;
  /** A bucket's stems for scripts: `stem + id` is the key. */
  readonly stemsIn: (bucket: number) => BucketStems;
  /** The directory's stems for scripts. */
  readonly stems: { credential: string; userCredentials: string };
  /**
   * A key of this deployment read back: its family (`rt`, `users`, `cred`, …: the name before the
   * first `:`, or the whole name) and the rest; null for a key outside the layout.
   */
  readonly nameOf: (key: string) => { family: string; rest: string } | null;
}

/**
 * A cluster's bucket of an id, a token hash or a client's key: FNV-1a over its UTF-16 units, mod 16.
 * A hash rather than the first character, since a client's key is an address ("192.168.1.0"), and
 * an imported id need not be random hex: both would crowd a few buckets.
 */
export function clusterBucketOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return (hash >>> 0) % CLUSTER_BUCKETS;
}

export function redisKeys(prefix: string, layout: { cluster: boolean } = { cluster: false }): RedisKeys {
  const { cluster } = layout;
  // Redis hashes only the first `{…}` of a key: a brace in the prefix would take the tag's place.
  if (cluster && /[{}]/.test(prefix)) throw new RangeError(`a Redis Cluster key prefix cannot hold '{' or '}': ${prefix}`);
  const bucketOf = cluster ? clusterBucketOf : () => 0;
  const tagged = (bucket: number) => (cluster ? `${prefix}{${BUCKET_TAGS[bucket] ?? ''}}` : prefix);
  const at = (id: string) => tagged(bucketOf(id));
  const directory = cluster ? `${prefix}{d}` : prefix;
  return {
    prefix,
    cluster,
    buckets: cluster ? CLUSTER_BUCKETS : 1,
    bucketOf,
    grant: (id) => `${at(id)}grant:${id}`,
    flow: (id) => `${at(id)}flow:${id}`,
    flowsOf: (client) => `${at(client)}flows-of:${client}`,
    mfaSetupFlow: (id) => `${at(id)}mfa-flow:${id}`,
    mfa: (userId) => `${directory}mfa:${userId}`,
    refreshToken: (id) => `${at(id)}rt:${id}`,
    refreshTokenHash: (tokenHash, bucket = bucketOf(tokenHash)) => `${tagged(bucket)}rt-hash:${tokenHash}`,
    refreshTokenElsewhere: (tokenHash) => `${at(tokenHash)}rt-elsewhere:${tokenHash}`,
    userRefreshTokens: (userId, bucket) => `${tagged(bucket)}user-rts:${userId}`,
    users: `${directory}users`,
    owners: `${directory}owners`,
    onboarded: `${directory}onboarded`,
    directory,
    credential: (id) => `${directory}credential:${id}`,
    // Type and provider id are encoded so that a `:` inside them cannot shift the fields; the lookup
    // key comes last, so it may hold anything and stays readable (it is the username).
    credentialLookupSuffix: (type, providerId, lookupKey) =>
      `cred:${encodeURIComponent(type)}:${providerId === null ? NO_PROVIDER_ID : encodeURIComponent(providerId)}:${lookupKey}`,
    userCredentials: (userId) => `${directory}user-creds:${userId}`,
    passwords: `${directory}passwords`,
    secret: (name) => `${directory}secret:${name}`,
    sealingMarker: `${directory}sealed-with`,
    loginFailures: (ip) => `${directory}login-failures:${ip}`,
    ipBans: `${directory}ip-bans`,
    banChannel: `${prefix}ip-ban-changes`,
    audit: (bucket) => `${tagged(bucket)}audit`,
    auditRecord: (recordId) => `${at(recordId)}audit:${recordId}`,
    auditHeld: (recordId) => `${at(recordId)}audit-held:${recordId}`,
    auditUser: (userId, bucket) => `${tagged(bucket)}audit-user:${userId}`,
    revocationChannel: `${prefix}revocations`,
    inState: (machine, state, bucket) => `${tagged(bucket)}in-state:${machine}:${state}`,
    statesOf: (machine, bucket) => `${tagged(bucket)}states-of:${machine}`,
    inStateFilled: `${directory}in-state-filled`,
    transitionChannel: `${prefix}transitions`,
    endedRecords: (machine, state, minute) => `${directory}ended:${machine}:${state}:${minute}`,
    stemsIn: (bucket) => ({
      refreshToken: `${tagged(bucket)}rt:`,
      refreshTokenHash: `${tagged(bucket)}rt-hash:`,
      userRefreshTokens: `${tagged(bucket)}user-rts:`,
    }),
    stems: { credential: `${directory}credential:`, userCredentials: `${directory}user-creds:` },
    nameOf: (key) => {
      if (!key.startsWith(prefix)) return null;
      let name = key.slice(prefix.length);
      if (cluster) {
        const tag = /^\{[0-9a-f]+\}/.exec(name);
        if (tag === null) return null;
        name = name.slice(tag[0].length);
      }
      const colon = name.indexOf(':');
      return colon < 0 ? { family: name, rest: '' } : { family: name.slice(0, colon), rest: name.slice(colon + 1) };
    },
  };
}
