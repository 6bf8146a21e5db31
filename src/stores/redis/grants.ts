/**
 * Login grants (authorization codes): `grant:<codeHash>` {rev, env} with a `PX` TTL of 10 minutes
 * (actor-records.ts), plus the code exchange's one read and one write (issue 16): the grant with the
 * login it names and that login's user in one script, and the grant's redemption with the refresh
 * token it produces in another.
 */
import type { EnvelopeCodec } from '../envelope-codec.js';
import type { GrantStore } from '../types.js';
import { redisActorRecords } from './actor-records.js';
import { decodeCredential, decodeUser } from './codec.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';
import { compareAndSetCreating } from './refresh-tokens.js';

export function redisGrants(run: Run, keys: RedisKeys, codec: EnvelopeCodec): GrantStore {
  return {
    ...redisActorRecords(run, { name: 'grants', keys, key: keys.grant, machine: 'loginGrant' }, codec),
    loadRedemption: async (id) => {
      const found = await run('grants.loadRedemption', (client) => client.grantLoadRedemption([keys.grant(id), keys.users], [keys.stems.credential]));
      if (found === null) return null;
      const { env, credential, user } = found;
      return { envelope: codec.decode(id, env), credential: credential === null ? null : decodeCredential(credential), user: user === null ? null : decodeUser(user) };
    },
    // A grant has no companion key: its TTL is its own.
    redeem: compareAndSetCreating(run, keys, codec, { name: 'grants.redeem', key: keys.grant, companionStem: '', machine: 'loginGrant' }),
  };
}
