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

/** The login a grant's snapshot names (what grantLoadRedemption reads in Lua); null for an envelope that names none. */
function credentialIdOf(env: string): string | null {
  try {
    const id = (JSON.parse(env) as { snapshot?: { context?: { credential?: { id?: unknown } } } }).snapshot?.context?.credential?.id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/**
 * The code exchange's read on a cluster, where the directory is a slot of its own (keys.ts): the
 * grant, then its credential with that credential's user in one script: two round trips.
 */
async function loadApart(run: Run, keys: RedisKeys, operation: string, id: string) {
  const env = await run(operation, (client) => client.hGet(keys.grant(id), 'env'));
  if (env === null) return null;
  const credentialId = credentialIdOf(env);
  if (credentialId === null) return { env, credential: null, user: null };
  const [credential, user] = await run(operation, (client) => client.credentialWithUser([keys.credential(credentialId), keys.users], []));
  return { env, credential: credential ?? null, user: user ?? null };
}

export function redisGrants(run: Run, keys: RedisKeys, codec: EnvelopeCodec): GrantStore {
  return {
    ...redisActorRecords(run, { name: 'grants', keys, key: keys.grant, machine: 'loginGrant' }, codec),
    loadRedemption: async (id) => {
      const operation = 'grants.loadRedemption';
      const found = keys.cluster
        ? await loadApart(run, keys, operation, id)
        : await run(operation, (client) => client.grantLoadRedemption([keys.grant(id), keys.users], [keys.stems.credential]));
      if (found === null) return null;
      const { env, credential, user } = found;
      return { envelope: codec.decode(id, env), credential: credential === null ? null : decodeCredential(credential), user: user === null ? null : decodeUser(user) };
    },
    // A grant has no companion key: its TTL is its own.
    redeem: compareAndSetCreating(run, keys, codec, { name: 'grants.redeem', key: keys.grant, companionStem: () => '', machine: 'loginGrant' }),
  };
}
