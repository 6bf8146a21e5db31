/**
 * MFA entries (types.ts `MfaStore`) in the user's hash `mfa:<userId>` (scripts/mfa-scripts.ts has the
 * fields). The hash goes with its user: the user-delete script deletes it in the same step. Secrets
 * are stored sealed (sealing/sealer.ts), and sealing is not deterministic, so the replay guard reads
 * the stored text, checks that it opens to the caller's secret, then lets the script compare that
 * text: one more round trip, on an MFA login step only.
 */
import { openStored, opensTo } from '../sealing/open-stored.js';
import { sealedPlace } from '../sealing/sealed-places.js';
import type { Sealer } from '../sealing/sealer.js';
import type { MfaStore } from '../types.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

const SECRET = 'secret:';

export function redisMfa(run: Run, keys: RedisKeys, sealer: Sealer): MfaStore {
  const storedSecret = (moduleId: string, userId: string) => run('mfa.getSecret', (client) => client.hGet(keys.mfa(userId), SECRET + moduleId));
  return {
    getSecret: async (moduleId, userId) => {
      const stored = await storedSecret(moduleId, userId);
      return stored === null ? null : openStored(sealer, stored, sealedPlace.mfaSecret(moduleId, userId));
    },
    setSecret: async (moduleId, userId, secret, step) => {
      const args = [userId, moduleId, sealer.seal(secret, sealedPlace.mfaSecret(moduleId, userId)), String(step)];
      return (await run.write('mfa.setSecret', (client) => client.mfaSet([keys.mfa(userId), keys.users], args))) === 1;
    },
    deleteSecret: async (moduleId, userId) => {
      await run.write('mfa.deleteSecret', (client) => client.hDel(keys.mfa(userId), [SECRET + moduleId, `step:${moduleId}`]));
    },
    listModuleIds: async (userId) => {
      const fields = await run('mfa.listModuleIds', (client) => client.hKeys(keys.mfa(userId)));
      return fields.filter((field) => field.startsWith(SECRET)).map((field) => field.slice(SECRET.length));
    },
    acceptStep: async (moduleId, userId, secret, step) => {
      const stored = await storedSecret(moduleId, userId);
      if (stored === null || !opensTo(sealer, stored, sealedPlace.mfaSecret(moduleId, userId), secret)) return false;
      const args = [moduleId, stored, String(step)];
      return (await run.write('mfa.acceptStep', (client) => client.mfaAcceptStep([keys.mfa(userId)], args))) === 1;
    },
  };
}
