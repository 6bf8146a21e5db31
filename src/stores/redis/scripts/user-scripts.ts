/**
 * Users live in one hash `users` (id → User JSON), which is also the list of ids, and `owners` holds
 * the ids of users whose `isOwner` is set. "Is there an owner yet?" and the write that creates the
 * owner are one script, so two onboarding requests racing create exactly one owner
 * (homeassistant/components/onboarding/views.py). The onboarding mark `onboarded` (types.ts
 * OnboardingState) is written by the same scripts: with onboarding's owner, and when an owner is
 * removed or demoted, so that it stays done once no owner is left.
 */
import { MARKED_WITHOUT_OWNER } from '../../onboarding-state.js';
import { integerReply, luaScript } from './define.js';
import { REMOVE_CREDENTIAL_LUA } from './credential-scripts.js';

/** The user step is done: marked, or an owner exists (a store written before the mark). */
const IS_ONBOARDED_LUA = `
local function isOnboarded(onboardedKey, ownersKey)
  return redis.call('EXISTS', onboardedKey) == 1 or redis.call('SCARD', ownersKey) > 0
end
`;

/**
 * KEYS[1] users, KEYS[2] owners, KEYS[3] onboarded · ARGV[1] id, ARGV[2] User JSON, ARGV[3] '1' when
 * created as the owner, ARGV[4] '1' when the user's isOwner is set, ARGV[5] '1' for onboarding's
 * owner. → 1 | 0 (id taken, an owner exists, or onboarding is done)
 */
export const userCreate = luaScript(
  `${IS_ONBOARDED_LUA}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if ARGV[3] == '1' and redis.call('SCARD', KEYS[2]) > 0 then return 0 end
if ARGV[5] == '1' and isOnboarded(KEYS[3], KEYS[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) end
if ARGV[5] == '1' then redis.call('SET', KEYS[3], ARGV[1]) end
return 1
`,
  integerReply('user create'),
);

/** KEYS[1] users, KEYS[2] owners, KEYS[3] onboarded · ARGV[1] id, ARGV[2] User JSON, ARGV[3] '1' when isOwner. → 1 | 0 (no such user) */
export const userUpdate = luaScript(
  `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[2], ARGV[1])
elseif redis.call('SREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('SET', KEYS[3], '${MARKED_WITHOUT_OWNER}', 'NX')
end
return 1
`,
  integerReply('user update'),
);

/**
 * The user, every credential with its lookup key and the MFA entries go in one step: no login or
 * MFA secret outlives its user. Returns 1 when the user was an owner.
 */
const DELETE_USER_LUA = `${REMOVE_CREDENTIAL_LUA}
local function deleteUser(id, prefix, credentialStem, userCredentialStem)
  for _, credentialId in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    removeCredential(credentialId, prefix, credentialStem, userCredentialStem)
  end
  redis.call('DEL', KEYS[3], KEYS[4])
  redis.call('HDEL', KEYS[1], id)
  return redis.call('SREM', KEYS[2], id)
end
`;

/**
 * KEYS[1] users, KEYS[2] owners, KEYS[3] the user's credential set, KEYS[4] the user's MFA hash,
 * KEYS[5] onboarded · ARGV[1] id, ARGV[2] key prefix, ARGV[3] credential stem, ARGV[4] user
 * credential set stem. → 1
 */
export const userDelete = luaScript(
  `${DELETE_USER_LUA}
if deleteUser(ARGV[1], ARGV[2], ARGV[3], ARGV[4]) == 1 then
  redis.call('SET', KEYS[5], '${MARKED_WITHOUT_OWNER}', 'NX')
end
return 1
`,
  integerReply('user delete'),
);

/** KEYS[1] onboarded, KEYS[2] owners. → 1 | 0 */
export const onboardingState = luaScript(
  `${IS_ONBOARDED_LUA}
return isOnboarded(KEYS[1], KEYS[2]) and 1 or 0
`,
  integerReply('onboarding state'),
);

/**
 * KEYS as userDelete · ARGV as userDelete. Deletes the user and the mark, only while the mark names
 * this user (its creation as onboarding's owner made it). → 1 | 0 (nothing changed)
 */
export const onboardingUndo = luaScript(
  `${DELETE_USER_LUA}
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return 0 end
deleteUser(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
redis.call('DEL', KEYS[5])
return 1
`,
  integerReply('onboarding undo'),
);

/** KEYS[1] passwords · ARGV[1] username, ARGV[2] password hash. → 1 | 0 (no such username) */
export const passwordReplace = luaScript(
  `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`,
  integerReply('password replace'),
);
