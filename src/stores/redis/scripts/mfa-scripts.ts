/**
 * A user's MFA entries live in one hash `mfa:<userId>`: `secret:<moduleId>` holds the module's
 * secret, `step:<moduleId>` the last time step a code was accepted at. The field names start with a
 * fixed word, so a module id may hold anything. Writing an entry checks that the user exists, and
 * the replay guard compares before it writes, each in one script. Secrets are stored sealed
 * (stores/sealing/sealer.ts): the scripts compare the stored text, never a plaintext.
 */
import { integerReply, luaScript } from './define.js';

/**
 * KEYS[1] the user's MFA hash, KEYS[2] users · ARGV[1] user id, ARGV[2] module id, ARGV[3] sealed secret,
 * ARGV[4] accepted step. → 1 | 0 (no such user)
 */
export const mfaSet = luaScript(
  `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'secret:' .. ARGV[2], ARGV[3], 'step:' .. ARGV[2], ARGV[4])
return 1
`,
  integerReply('mfa set'),
);

/**
 * KEYS[1] the user's MFA hash · ARGV[1] module id, ARGV[2] the stored (sealed) secret the code was checked against,
 * ARGV[3] the code's step. → 1 (moved forward) | 0 (another secret now, or a step not after the last)
 */
export const mfaAcceptStep = luaScript(
  `
if redis.call('HGET', KEYS[1], 'secret:' .. ARGV[1]) ~= ARGV[2] then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'step:' .. ARGV[1]))
local step = tonumber(ARGV[3])
if last ~= nil and last >= step then return 0 end
redis.call('HSET', KEYS[1], 'step:' .. ARGV[1], ARGV[3])
return 1
`,
  integerReply('mfa accept step'),
);
