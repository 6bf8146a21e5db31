/**
 * MFA entries (types.ts `MfaStore`) in the user's hash `mfa:<userId>` (scripts/mfa-scripts.ts has the
 * fields). The hash goes with its user: the user-delete script deletes it in the same step.
 */
import type { MfaStore } from '../types.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';

const SECRET = 'secret:';

export function redisMfa(run: Run, keys: RedisKeys): MfaStore {
  return {
    getSecret: (moduleId, userId) => run('mfa.getSecret', (client) => client.hGet(keys.mfa(userId), SECRET + moduleId)),
    setSecret: async (moduleId, userId, secret, step) => {
      const args = [userId, moduleId, secret, String(step)];
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
      const args = [moduleId, secret, String(step)];
      return (await run.write('mfa.acceptStep', (client) => client.mfaAcceptStep([keys.mfa(userId)], args))) === 1;
    },
  };
}
