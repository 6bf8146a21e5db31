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
import { assertRev, decodeEnvelope, decodeEnvelopeOrSkip, encodeEnvelope } from '../envelope-codec.js';
import { redisEnvelopeAccess } from './actor-records.js';
import { ttlChangeArgument } from './codec.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

export function redisRefreshTokens(run: Run, keys: RedisKeys): RefreshTokenStore {
  const space = { name: 'refreshTokens', key: keys.refreshToken, companionStem: keys.stems.refreshTokenHash };
  return {
    ...redisEnvelopeAccess(run, space),
    create: async ({ id, userId, tokenHash }, envelope) => {
      assertRev(envelope, 1);
      const scriptKeys = [keys.refreshToken(id), keys.refreshTokenHash(tokenHash), keys.userRefreshTokens(userId)];
      const args = [id, String(envelope.rev), encodeEnvelope(envelope), tokenHash, userId];
      return (await run.write('refreshTokens.create', (client) => client.refreshTokenCreate(scriptKeys, args))) === 1;
    },
    findIdByTokenHash: (tokenHash) =>
      run('refreshTokens.findIdByTokenHash', (client) => client.get(keys.refreshTokenHash(tokenHash))),
    loadByTokenHash: async (tokenHash) => {
      const found = await run('refreshTokens.loadByTokenHash', (client) =>
        client.refreshTokenLoadByHash([keys.refreshTokenHash(tokenHash)], [keys.stems.refreshToken]),
      );
      return found === null ? null : { id: found.id, envelope: decodeEnvelope(found.env) };
    },
    listByUser: async (userId) => {
      const flat = await run('refreshTokens.listByUser', (client) =>
        client.refreshTokenList([keys.userRefreshTokens(userId)], [keys.stems.refreshToken]),
      );
      const tokens = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const id = flat[i] as string;
        tokens.push(...decodeEnvelopeOrSkip(flat[i + 1] as string).map((envelope) => ({ id, envelope })));
      }
      return tokens;
    },
    exchange: async (id, expectedRev, next, ttl, { keys: successor, envelope }) => {
      assertRev(next, expectedRev + 1);
      assertRev(envelope, 1);
      const scriptKeys = [keys.refreshToken(id), keys.refreshToken(successor.id), keys.refreshTokenHash(successor.tokenHash), keys.userRefreshTokens(successor.userId)];
      const args = [
        ...[String(expectedRev), String(next.rev), encodeEnvelope(next), ttlChangeArgument(ttl), keys.stems.refreshTokenHash],
        ...[successor.id, String(envelope.rev), encodeEnvelope(envelope), successor.tokenHash, successor.userId],
      ];
      const reply = await run.write('refreshTokens.exchange', (client) => client.refreshTokenExchange(scriptKeys, args));
      if (reply === 'taken') throw new RangeError(`refresh token ${successor.id}: the successor's id or hash is taken`);
      return reply.ok ? reply : { ok: false, current: reply.current === null ? null : decodeEnvelope(reply.current) };
    },
    delete: async (id) => {
      const args = [id, keys.stems.refreshTokenHash, keys.stems.userRefreshTokens];
      await run.write('refreshTokens.delete', (client) => client.refreshTokenDelete([keys.refreshToken(id)], args));
    },
  };
}
