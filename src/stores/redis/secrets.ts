/** Deployment-wide secrets: `SET NX GET` writes the candidate only if absent and returns what was there, in one round trip. */
import type { SecretStore } from '../types.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

export function redisSecrets(run: Run, keys: RedisKeys): SecretStore {
  return {
    getOrCreate: async (name, candidate) => {
      const previous = await run.write('secrets.getOrCreate', (client) =>
        client.set(keys.secret(name), candidate, { condition: 'NX', GET: true }),
      );
      return typeof previous === 'string' ? previous : candidate;
    },
  };
}
