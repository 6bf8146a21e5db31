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
import type { CompareAndSetCreatingToken, RefreshTokenStore } from '../types.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { decodeStored, redisEnvelopeAccess } from './actor-records.js';
import { storedUse, withStoredUse } from '../refresh-token-use.js';
import { auditKeptWith } from './audit.js';
import { decodeCredential, decodeUser, ttlChangeArgument } from './codec.js';
import { CREDENTIAL_NONE, type StoredToken } from './scripts/refresh-token-scripts.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

/** The credential id as refreshTokenCreate takes it. */
const credentialArgument = (credentialId: string | null | undefined) => (credentialId === undefined ? '' : (credentialId ?? CREDENTIAL_NONE));

/**
 * The record a compareAndSetCreating write changes: its operation's name, its key, its companion's
 * stem (actor-records.ts) and its machine, whose per-state counts the write keeps.
 */
interface ChangedRecord {
  name: string;
  key: (id: string) => string;
  companionStem: string;
  machine: MachineName;
}

/**
 * A record's compare-and-set and a token's creation in one script (refreshTokenExchange), both or
 * neither: the rotation's write (the token's successor) and the code exchange's (the token a grant
 * produces: redis/grants.ts).
 */
export function compareAndSetCreating(run: Run, keys: RedisKeys, codec: EnvelopeCodec, record: ChangedRecord): CompareAndSetCreatingToken {
  return async (id, expectedRev, next, ttl, { keys: token, envelope }, audit) => {
    assertRev(next, expectedRev + 1);
    assertRev(envelope, 1);
    const kept = auditKeptWith(keys, audit);
    const scriptKeys = [
      ...[record.key(id), keys.refreshToken(token.id), keys.refreshTokenHash(token.tokenHash), keys.userRefreshTokens(token.userId)],
      ...[keys.statesOf(record.machine), keys.statesOf('refreshToken')],
      ...kept.keys,
    ];
    const args = [
      ...[String(expectedRev), String(next.rev), codec.encode(id, next), ttlChangeArgument(ttl), record.companionStem],
      ...[token.id, String(envelope.rev), codec.encode(token.id, envelope), token.tokenHash, token.userId, credentialArgument(token.credentialId)],
      ...[keys.inState(record.machine, ''), id, keys.inState('refreshToken', '')],
      ...kept.args,
    ];
    const reply = await run.write(record.name, (client) => client.refreshTokenExchange(scriptKeys, args));
    if (reply === 'taken') throw new RangeError(`refresh token ${token.id}: its id or hash is taken`);
    return reply.ok ? reply : { ok: false, current: decodeStored(codec, id, reply.current, reply.usedAt, reply.usedIp) };
  };
}

export function redisRefreshTokens(run: Run, keys: RedisKeys, codec: EnvelopeCodec): RefreshTokenStore {
  const tokenEnvelope = (id: string, { env, usedAt, usedIp }: StoredToken) => withStoredUse(codec.decode(id, env), storedUse(usedAt, usedIp));
  const space = { name: 'refreshTokens', keys, key: keys.refreshToken, machine: 'refreshToken' as const, companionStem: keys.stems.refreshTokenHash };
  // The per-state counts the writes keep (scripts/record-count-scripts.ts KEEP_COUNTS).
  const [states, inState] = [keys.statesOf('refreshToken'), keys.inState('refreshToken', '')];
  return {
    ...redisEnvelopeAccess(run, space, codec),
    create: async ({ id, userId, tokenHash, credentialId }, envelope, audit) => {
      assertRev(envelope, 1);
      const kept = auditKeptWith(keys, audit);
      const scriptKeys = [keys.refreshToken(id), keys.refreshTokenHash(tokenHash), keys.userRefreshTokens(userId), states, ...kept.keys];
      const args = [id, String(envelope.rev), codec.encode(id, envelope), tokenHash, userId, credentialArgument(credentialId), inState, ...kept.args];
      return (await run.write('refreshTokens.create', (client) => client.refreshTokenCreate(scriptKeys, args))) === 1;
    },
    findIdByTokenHash: (tokenHash) =>
      run('refreshTokens.findIdByTokenHash', (client) => client.get(keys.refreshTokenHash(tokenHash))),
    loadByTokenHash: async (tokenHash) => {
      const found = await run('refreshTokens.loadByTokenHash', (client) =>
        client.refreshTokenLoadByHash([keys.refreshTokenHash(tokenHash)], [keys.stems.refreshToken]),
      );
      return found === null ? null : { id: found.id, envelope: tokenEnvelope(found.id, found) };
    },
    loadPresented: async (tokenHash) => {
      const found = await run('refreshTokens.loadPresented', (client) =>
        client.refreshTokenLoadPresented([keys.refreshTokenHash(tokenHash), keys.users], [keys.stems.refreshToken, keys.stems.credential]),
      );
      if (found === null) return null;
      const { id, user, credential } = found;
      return { id, envelope: tokenEnvelope(id, found), user: user === null ? null : decodeUser(user), credential: credential === null ? null : decodeCredential(credential) };
    },
    loadSession: async (id) => {
      const found = await run('refreshTokens.loadSession', (client) => client.refreshTokenLoadSession([keys.refreshToken(id), keys.users], []));
      return found === null ? null : { envelope: tokenEnvelope(id, found), user: found.user === null ? null : decodeUser(found.user) };
    },
    listByUser: async (userId) => {
      const flat = await run('refreshTokens.listByUser', (client) =>
        client.refreshTokenList([keys.userRefreshTokens(userId)], [keys.stems.refreshToken]),
      );
      const tokens = [];
      for (let i = 0; i + 3 < flat.length; i += 4) {
        const id = flat[i] as string;
        const use = storedUse(flat[i + 2], flat[i + 3]);
        tokens.push(...codec.decodeOrSkip(id, flat[i + 1] as string).map((envelope) => ({ id, envelope: withStoredUse(envelope, use) })));
      }
      return tokens;
    },
    exchange: compareAndSetCreating(run, keys, codec, { name: 'refreshTokens.exchange', key: keys.refreshToken, companionStem: keys.stems.refreshTokenHash, machine: 'refreshToken' }),
    recordUse: async (id, expectedRev, { at, ip }, audit) => {
      const kept = auditKeptWith(keys, audit);
      const args = [String(expectedRev), String(at), ip ?? '', ...kept.args];
      const reply = await run.write('refreshTokens.recordUse', (client) => client.refreshTokenRecordUse([keys.refreshToken(id), ...kept.keys], args));
      return reply.ok ? reply : { ok: false, current: decodeStored(codec, id, reply.current, reply.usedAt, reply.usedIp) };
    },
    delete: async (id) => {
      const args = [id, keys.stems.refreshTokenHash, keys.stems.userRefreshTokens, inState];
      await run.write('refreshTokens.delete', (client) => client.refreshTokenDelete([keys.refreshToken(id), states], args));
    },
  };
}
