/**
 * Refresh tokens: records `rt:<id>` findable by the SHA-256 of their secret (`rt-hash:<hash>` → id;
 * ARCHITECTURE.md "Secrets at rest": only the hash is stored) and listable per user (`user-rts:<userId>`).
 * The record and its indexes are written and removed together by scripts (refresh-token-scripts.ts).
 *
 * Tokens have no TTL while usable; a compare-and-set that gives a tombstone a TTL gives its hash
 * index the same TTL in the same script, so a token past its TTL cannot be found by its secret
 * either. Its id stays in the user's set until a listing meets it and drops it.
 */
import type { MachineName } from '../../../machines/index.js';
import type { CompareAndSetCreatingToken, Envelope, RefreshTokenStore } from '../types.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { decodeStored, redisEnvelopeAccess } from './actor-records.js';
import { storedUse, withStoredUse } from '../refresh-token-use.js';
import { auditKeptWith } from './audit.js';
import { decodeCredential, decodeUser, ttlChangeArgument } from './codec.js';
import { BoundedMap } from '../../domain/bounded-map.js';
import { CREDENTIAL_NONE, type StoredToken } from './scripts/refresh-token-scripts.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

/** How many tokens' users a cluster's `loadSession` remembers (about 100 bytes each). */
const SESSION_USERS_REMEMBERED = 10_000;

/** The credential id as refreshTokenCreate takes it. */
const credentialArgument = (credentialId: string | null | undefined) => (credentialId === undefined ? '' : (credentialId ?? CREDENTIAL_NONE));

/**
 * The record a compareAndSetCreating write changes: its operation's name, its key, its companion's
 * stem (actor-records.ts) and its machine, whose per-state counts the write keeps.
 */
interface ChangedRecord {
  name: string;
  key: (id: string) => string;
  /** The companion key's stem in a bucket ('' for none). */
  companionStem: (bucket: number) => string;
  machine: MachineName;
}

/**
 * A record's compare-and-set and a token's creation in one script (refreshTokenExchange), both or
 * neither: the rotation's write (the token's successor) and the code exchange's (the token a grant
 * produces: redis/grants.ts). On a cluster the new token's id and secret must be in the record's
 * bucket (keys.ts), which the services see to through Store.placement.
 */
export function compareAndSetCreating(run: Run, keys: RedisKeys, codec: EnvelopeCodec, record: ChangedRecord): CompareAndSetCreatingToken {
  return async (id, expectedRev, next, ttl, { keys: token, envelope }, audit) => {
    assertRev(next, expectedRev + 1);
    assertRev(envelope, 1);
    const bucket = keys.bucketOf(id);
    if (keys.bucketOf(token.id) !== bucket || keys.bucketOf(token.tokenHash) !== bucket) {
      throw new RangeError(`refresh token ${token.id} is not placed with ${id} (Store.placement)`);
    }
    const kept = auditKeptWith(keys, bucket, audit);
    const scriptKeys = [
      ...[record.key(id), keys.refreshToken(token.id), keys.refreshTokenHash(token.tokenHash), keys.userRefreshTokens(token.userId, bucket)],
      ...[keys.statesOf(record.machine, bucket), keys.statesOf('refreshToken', bucket)],
      ...kept.keys,
    ];
    const args = [
      ...[String(expectedRev), String(next.rev), codec.encode(id, next), ttlChangeArgument(ttl), record.companionStem(bucket)],
      ...[token.id, String(envelope.rev), codec.encode(token.id, envelope), token.tokenHash, token.userId, credentialArgument(token.credentialId)],
      ...[keys.inState(record.machine, '', bucket), id, keys.inState('refreshToken', '', bucket)],
      ...kept.args,
    ];
    const reply = await run.write(record.name, (client) => client.refreshTokenExchange(scriptKeys, args));
    if (reply === 'taken') throw new RangeError(`refresh token ${token.id}: its id or hash is taken`);
    return reply.ok ? reply : { ok: false, current: decodeStored(codec, id, reply.current, reply.usedAt, reply.usedIp) };
  };
}

/** The credential a token was issued for: its `cred` field, or, for a record written before that field, its snapshot's. */
function credentialIdOf(envelope: Envelope, cred: string | null): string | null {
  if (cred !== null) return cred === CREDENTIAL_NONE ? null : cred;
  const named = (envelope.snapshot as { context?: { credentialId?: unknown } } | null)?.context?.credentialId;
  return typeof named === 'string' ? named : null;
}

export function redisRefreshTokens(run: Run, keys: RedisKeys, codec: EnvelopeCodec): RefreshTokenStore {
  const tokenEnvelope = (id: string, { env, usedAt, usedIp }: StoredToken) => withStoredUse(codec.decode(id, env), storedUse(usedAt, usedIp));
  const hashStem = (bucket: number) => keys.stemsIn(bucket).refreshTokenHash;
  const space = { name: 'refreshTokens', keys, key: keys.refreshToken, machine: 'refreshToken' as const, companionStem: hashStem };
  const buckets = Array.from({ length: keys.buckets }, (_, bucket) => bucket);

  /**
   * The token whose secret hashes to `tokenHash`, with the names of its user and credential. On a
   * cluster an imported token may sit in its id's bucket rather than its hash's: its hash's bucket
   * then names the id (`rt-elsewhere`), one more round trip for such a token only.
   */
  const findByHash = async (operation: string, tokenHash: string) => {
    const elsewhere = keys.cluster ? [keys.refreshTokenElsewhere(tokenHash)] : [];
    const found = await run(operation, (client) => client.refreshTokenLoadByHash([keys.refreshTokenHash(tokenHash), ...elsewhere], [keys.stemsIn(keys.bucketOf(tokenHash)).refreshToken]));
    if (found === null || !('elsewhere' in found)) return found;
    const bucket = keys.bucketOf(found.elsewhere);
    const there = await run(operation, (client) => client.refreshTokenLoadByHash([keys.refreshTokenHash(tokenHash, bucket)], [keys.stemsIn(bucket).refreshToken]));
    return there === null || 'elsewhere' in there ? null : there;
  };

  /**
   * Cluster only: the user of each token seen lately (a token's user never changes), so that
   * `loadSession` reads the token and its user at once, in one round trip instead of two; both
   * reads are fresh, only the name of whom to read is remembered (BoundedMap: the latest few thousand).
   */
  const userOfToken = new BoundedMap<string, string>(SESSION_USERS_REMEMBERED);
  const rememberUser = (id: string, userId: string) => userOfToken.set(id, userId);

  /** A cluster's directory is in a slot of its own (keys.ts): a token's user and credential are read apart, in one round trip. */
  const directoryOf = (operation: string, userId: string | null, credentialId: string | null) =>
    run(operation, (client) =>
      Promise.all([userId === null ? null : client.hGet(keys.users, userId), credentialId === null ? null : client.hGet(keys.credential(credentialId), 'json')]),
    );

  return {
    ...redisEnvelopeAccess(run, space, codec),
    create: async ({ id, userId, tokenHash, credentialId }, envelope, audit) => {
      assertRev(envelope, 1);
      const bucket = keys.bucketOf(id);
      // An imported token's hash may name another bucket than its id (minted ones never do:
      // Store.placement). Its hash is then claimed in the hash's bucket first, which is where a
      // lookup by hash goes (findByHash), and given back if the creation does not happen.
      const elsewhere = keys.bucketOf(tokenHash) !== bucket ? keys.refreshTokenElsewhere(tokenHash) : null;
      if (elsewhere !== null) {
        const claimed = await run.write('refreshTokens.create', (client) => client.refreshTokenClaimHash([keys.refreshTokenHash(tokenHash), elsewhere], [id]));
        if (claimed === 0) return false;
      }
      const kept = auditKeptWith(keys, bucket, audit);
      const index = keys.refreshTokenHash(tokenHash, bucket);
      // A token in its hash's bucket checks there that no imported token claimed the hash.
      const claim = keys.cluster && elsewhere === null ? keys.refreshTokenElsewhere(tokenHash) : index;
      const scriptKeys = [keys.refreshToken(id), index, keys.userRefreshTokens(userId, bucket), keys.statesOf('refreshToken', bucket), claim, ...kept.keys];
      const args = [id, String(envelope.rev), codec.encode(id, envelope), tokenHash, userId, credentialArgument(credentialId), keys.inState('refreshToken', '', bucket), ...kept.args];
      const created = (await run.write('refreshTokens.create', (client) => client.refreshTokenCreate(scriptKeys, args))) === 1;
      if (!created && elsewhere !== null) await run.write('refreshTokens.create', (client) => client.refreshTokenReleaseHash([elsewhere], [id]));
      return created;
    },
    findIdByTokenHash: async (tokenHash) =>
      keys.cluster
        ? ((await findByHash('refreshTokens.findIdByTokenHash', tokenHash))?.id ?? null)
        : run('refreshTokens.findIdByTokenHash', (client) => client.get(keys.refreshTokenHash(tokenHash))),
    loadByTokenHash: async (tokenHash) => {
      const found = await findByHash('refreshTokens.loadByTokenHash', tokenHash);
      return found === null ? null : { id: found.id, envelope: tokenEnvelope(found.id, found) };
    },
    loadPresented: async (tokenHash) => {
      const operation = 'refreshTokens.loadPresented';
      if (keys.cluster) {
        const found = await findByHash(operation, tokenHash);
        if (found === null) return null;
        const envelope = tokenEnvelope(found.id, found);
        const [user, credential] = await directoryOf(operation, found.user, credentialIdOf(envelope, found.cred));
        return { id: found.id, envelope, user: user === null ? null : decodeUser(user), credential: credential === null ? null : decodeCredential(credential) };
      }
      const stems = keys.stemsIn(0);
      const found = await run(operation, (client) => client.refreshTokenLoadPresented([keys.refreshTokenHash(tokenHash), keys.users], [stems.refreshToken, keys.stems.credential]));
      if (found === null) return null;
      const { id, user, credential } = found;
      return { id, envelope: tokenEnvelope(id, found), user: user === null ? null : decodeUser(user), credential: credential === null ? null : decodeCredential(credential) };
    },
    loadSession: async (id) => {
      const operation = 'refreshTokens.loadSession';
      if (keys.cluster) {
        const known = userOfToken.get(id) ?? null;
        const [[env = null, usedAt = null, usedIp = null, userId = null], [remembered]] = await Promise.all([
          run(operation, (client) => client.hmGet(keys.refreshToken(id), ['env', 'used_at', 'used_ip', 'user'])),
          known === null ? [null] : directoryOf(operation, known, null),
        ]);
        if (env === null) return null;
        if (userId !== null) rememberUser(id, userId);
        const user = userId === known ? remembered : (await directoryOf(operation, userId, null))[0];
        return { envelope: tokenEnvelope(id, { env, usedAt, usedIp }), user: user === null ? null : decodeUser(user) };
      }
      const found = await run(operation, (client) => client.refreshTokenLoadSession([keys.refreshToken(id), keys.users], []));
      return found === null ? null : { envelope: tokenEnvelope(id, found), user: found.user === null ? null : decodeUser(found.user) };
    },
    // A user's tokens are in every bucket on a cluster: one script per bucket, sent together.
    listByUser: async (userId) => {
      const lists = await run('refreshTokens.listByUser', (client) =>
        Promise.all(buckets.map((bucket) => client.refreshTokenList([keys.userRefreshTokens(userId, bucket)], [keys.stemsIn(bucket).refreshToken]))),
      );
      const tokens = [];
      for (const flat of lists) {
        for (let i = 0; i + 3 < flat.length; i += 4) {
          const id = flat[i] as string;
          const use = storedUse(flat[i + 2], flat[i + 3]);
          tokens.push(...codec.decodeOrSkip(id, flat[i + 1] as string).map((envelope) => ({ id, envelope: withStoredUse(envelope, use) })));
        }
      }
      return tokens;
    },
    exchange: compareAndSetCreating(run, keys, codec, { name: 'refreshTokens.exchange', key: keys.refreshToken, companionStem: hashStem, machine: 'refreshToken' }),
    recordUse: async (id, expectedRev, { at, ip }, audit) => {
      const kept = auditKeptWith(keys, keys.bucketOf(id), audit);
      const args = [String(expectedRev), String(at), ip ?? '', ...kept.args];
      const reply = await run.write('refreshTokens.recordUse', (client) => client.refreshTokenRecordUse([keys.refreshToken(id), ...kept.keys], args));
      return reply.ok ? reply : { ok: false, current: decodeStored(codec, id, reply.current, reply.usedAt, reply.usedIp) };
    },
    delete: async (id) => {
      const bucket = keys.bucketOf(id);
      const stems = keys.stemsIn(bucket);
      const args = [id, stems.refreshTokenHash, stems.userRefreshTokens, keys.inState('refreshToken', '', bucket)];
      const tokenHash = await run.write('refreshTokens.delete', (client) => client.refreshTokenDelete([keys.refreshToken(id), keys.statesOf('refreshToken', bucket)], args));
      // The claim an imported token made in its hash's bucket (create, above) goes with it.
      if (tokenHash !== '' && keys.bucketOf(tokenHash) !== bucket) {
        await run.write('refreshTokens.delete', (client) => client.refreshTokenReleaseHash([keys.refreshTokenElsewhere(tokenHash)], [id]));
      }
    },
  };
}
