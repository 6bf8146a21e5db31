/**
 * Deployment-wide secrets, stored sealed: a read, and when there is none, `SET NX GET`, which writes
 * the candidate only if absent and returns what was there. One that no given key opens (altered, or
 * sealed with a key since dropped) is replaced by the candidate, unless another instance replaced it
 * first: what it signed can no longer be checked anyway, as after a restart of Home Assistant, which
 * keeps these in memory.
 */
import { UnreadableRecordError } from '../envelope-codec.js';
import { openStored } from '../sealing/open-stored.js';
import { sealedPlace } from '../sealing/sealed-places.js';
import type { Sealer } from '../sealing/sealer.js';
import type { SecretStore } from '../types.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

const MAX_ATTEMPTS = 3;

export function redisSecrets(run: Run, keys: RedisKeys, sealer: Sealer): SecretStore {
  const read = (key: string) => run('secrets.getOrCreate', (client) => client.get(key));
  const readable = (stored: string, place: string): string | null => {
    try {
      return openStored(sealer, stored, place);
    } catch (error) {
      if (error instanceof UnreadableRecordError) return null;
      throw error;
    }
  };
  return {
    getOrCreate: async (name, candidate) => {
      const [key, place] = [keys.secret(name), sealedPlace.secret(name)];
      // A failed swap means another instance replaced it first: read again, theirs is the secret.
      for (let attempt = 1; ; attempt += 1) {
        const stored =
          (await read(key)) ??
          (await run.write('secrets.getOrCreate', (client) => client.set(key, sealer.seal(candidate, place), { condition: 'NX', GET: true })));
        if (typeof stored !== 'string') return candidate;
        // Instances that keep writing what this one cannot open have other keys: say so.
        if (attempt === MAX_ATTEMPTS) return openStored(sealer, stored, place);
        const secret = readable(stored, place);
        if (secret !== null) return secret;
        const args = ['', stored, sealer.seal(candidate, place)];
        if ((await run.write('secrets.getOrCreate', (client) => client.storedTextSwap([key], args))) === 1) return candidate;
      }
    },
  };
}
