/**
 * Refresh tokens: records `rt:<id>` findable by the SHA-256 of their secret (`rt-hash:<hash>` → id;
 * ARCHITECTURE.md "Secrets at rest": only the hash is stored) and listable per user (`user-rts:<userId>`).
 * The record and its indexes are written and removed together by scripts (refresh-token-scripts.ts).
 *
 * Tokens have no TTL while usable; a compare-and-set that gives a tombstone a TTL gives its hash
 * index the same TTL in the same script, so a token past its TTL cannot be found by its secret
 * either. Its id stays in the user's set until a listing meets it and drops it.
 */
import type { RefreshTokenStore } from '../types.js';
import { assertRev, type EnvelopeCodec } from '../envelope-codec.js';
import { redisEnvelopeAccess } from './actor-records.js';
import { auditKeptWith } from './audit.js';
import { decodeCredential, decodeUser, ttlChangeArgument } from './codec.js';
import { CREDENTIAL_NONE } from './scripts/refresh-token-scripts.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

/** The credential id as refreshTokenCreate takes it. */
const credentialArgument = (credentialId: string | null | undefined) => (credentialId === undefined ? '' : (credentialId ?? CREDENTIAL_NONE));

export function redisRefreshTokens(run: Run, keys: RedisKeys, codec: EnvelopeCodec): RefreshTokenStore {
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
      return found === null ? null : { id: found.id, envelope: codec.decode(found.id, found.env) };
    },
    loadPresented: async (tokenHash) => {
      const found = await run('refreshTokens.loadPresented', (client) =>
        client.refreshTokenLoadPresented([keys.refreshTokenHash(tokenHash), keys.users], [keys.stems.refreshToken, keys.stems.credential]),
      );
      if (found === null) return null;
      const { id, env, user, credential } = found;
      return { id, envelope: codec.decode(id, env), user: user === null ? null : decodeUser(user), credential: credential === null ? null : decodeCredential(credential) };
    },
    loadSession: async (id) => {
      const found = await run('refreshTokens.loadSession', (client) => client.refreshTokenLoadSession([keys.refreshToken(id), keys.users], []));
      return found === null ? null : { envelope: codec.decode(id, found.env), user: found.user === null ? null : decodeUser(found.user) };
    },
    listByUser: async (userId) => {
      const flat = await run('refreshTokens.listByUser', (client) =>
        client.refreshTokenList([keys.userRefreshTokens(userId)], [keys.stems.refreshToken]),
      );
      const tokens = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i] as string;
        tokens.push(...codec.decodeOrSkip(id, flat[i + 1] as string).map((envelope) => ({ id, envelope })));
      }
      return tokens;
    },
    exchange: async (id, expectedRev, next, ttl, { keys: successor, envelope }, audit) => {
      assertRev(next, expectedRev + 1);
      assertRev(envelope, 1);
      const kept = auditKeptWith(keys, audit);
      const scriptKeys = [
        ...[keys.refreshToken(id), keys.refreshToken(successor.id), keys.refreshTokenHash(successor.tokenHash), keys.userRefreshTokens(successor.userId)],
        states,
        ...kept.keys,
      ];
      const args = [
        ...[String(expectedRev), String(next.rev), codec.encode(id, next), ttlChangeArgument(ttl), keys.stems.refreshTokenHash],
        ...[successor.id, String(envelope.rev), codec.encode(successor.id, envelope), successor.tokenHash, successor.userId, credentialArgument(successor.credentialId)],
        ...[inState, id],
        ...kept.args,
      ];
      const reply = await run.write('refreshTokens.exchange', (client) => client.refreshTokenExchange(scriptKeys, args));
      if (reply === 'taken') throw new RangeError(`refresh token ${successor.id}: the successor's id or hash is taken`);
      return reply.ok ? reply : { ok: false, current: reply.current === null ? null : codec.decode(id, reply.current) };
    },
    delete: async (id) => {
      const args = [id, keys.stems.refreshTokenHash, keys.stems.userRefreshTokens, inState];
      await run.write('refreshTokens.delete', (client) => client.refreshTokenDelete([keys.refreshToken(id), states], args));
    },
  };
}
