/**
 * Users live in one hash `users` (id → User JSON), which is also the list of ids, and `owners` holds
 * the ids of users whose `isOwner` is set. "Is there an owner yet?" and the write that creates the
 * owner are one script, so two onboarding requests racing create exactly one owner
 * (homeassistant/components/onboarding/views.py).
 */
import { integerReply, luaScript } from './define.js';
import { REMOVE_CREDENTIAL_LUA } from './credential-scripts.js';

/**
 * KEYS[1] users, KEYS[2] owners · ARGV[1] id, ARGV[2] User JSON, ARGV[3] '1' when created as the
 * owner, ARGV[4] '1' when the user's isOwner is set. → 1 | 0 (id taken, or an owner exists)
 */
export const userCreate = luaScript(
  `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if ARGV[3] == '1' and redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) end
return 1
`,
  integerReply('user create'),
);

/** KEYS[1] users, KEYS[2] owners · ARGV[1] id, ARGV[2] User JSON, ARGV[3] '1' when isOwner. → 1 | 0 (no such user) */
export const userUpdate = luaScript(
  `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[2], ARGV[1])
else
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 1
`,
  integerReply('user update'),
);

/**
 * KEYS[1] users, KEYS[2] owners, KEYS[3] the user's credential set, KEYS[4] the user's MFA hash ·
 * ARGV[1] id, ARGV[2] key prefix, ARGV[3] credential stem, ARGV[4] user credential set stem. → 1
 * The user, every credential with its lookup key and the MFA entries go in one step: no login or
 * MFA secret outlives its user.
 */
export const userDelete = luaScript(
  `${REMOVE_CREDENTIAL_LUA}
for _, credentialId in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  removeCredential(credentialId, ARGV[2], ARGV[3], ARGV[4])
end
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`,
  integerReply('user delete'),
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
