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
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

export function redisRefreshTokens(run: Run, keys: RedisKeys, codec: EnvelopeCodec): RefreshTokenStore {
  const space = { name: 'refreshTokens', key: keys.refreshToken, companionStem: keys.stems.refreshTokenHash };
  return {
    ...redisEnvelopeAccess(run, space, codec),
    create: async ({ id, userId, tokenHash }, envelope) => {
      assertRev(envelope, 1);
      const scriptKeys = [keys.refreshToken(id), keys.refreshTokenHash(tokenHash), keys.userRefreshTokens(userId)];
      const args = [id, String(envelope.rev), codec.encode(id, envelope), tokenHash, userId];
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
    delete: async (id) => {
      const args = [id, keys.stems.refreshTokenHash, keys.stems.userRefreshTokens];
      await run.write('refreshTokens.delete', (client) => client.refreshTokenDelete([keys.refreshToken(id)], args));
    },
  };
}
