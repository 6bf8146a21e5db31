/**
 * A credential is a hash `credential:<id>` {json, user, lookup} with two indexes: the lookup key
 * `cred:<type>:<provider id>:<lookup key>` → id, which makes a login unique per provider, and the
 * user's set `user-creds:<userId>`. `lookup` keeps the lookup key's name (without the prefix) so
 * that removal finds it without decoding the JSON.
 */
import { integerReply, luaScript, optionalStringReply, optionalStringsReply, stringArrayReply } from './define.js';

/** Shared by credential removal and user deletion. */
export const REMOVE_CREDENTIAL_LUA = `
local function removeCredential(id, prefix, credentialStem, userCredentialStem)
  local key = credentialStem .. id
  local fields = redis.call('HMGET', key, 'user', 'lookup')
  if fields[2] then
    local lookup = prefix .. fields[2]
    if redis.call('GET', lookup) == id then redis.call('DEL', lookup) end
  end
  if fields[1] then redis.call('SREM', userCredentialStem .. fields[1], id) end
  redis.call('DEL', key)
end
`;

/** Returned by `credentialAdd` when the user does not exist. */
export const NO_SUCH_USER = -1;

/**
 * KEYS[1] credential, KEYS[2] lookup key, KEYS[3] the user's credential set, KEYS[4] users ·
 * ARGV[1] id, ARGV[2] Credential JSON, ARGV[3] user id, ARGV[4] lookup key without prefix.
 * → 1 | 0 (id or login taken) | -1 (no such user: a credential is always linked to a user)
 */
export const credentialAdd = luaScript(
  `
if redis.call('HEXISTS', KEYS[4], ARGV[3]) == 0 then return ${NO_SUCH_USER} end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'user', ARGV[3], 'lookup', ARGV[4])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
`,
  integerReply('credential add'),
);

/** Returned by `credentialUpdate` when the user or the provider differ from the stored ones. */
export const OTHER_USER_OR_PROVIDER = -1;

/**
 * KEYS[1] credential, KEYS[2] new lookup key · ARGV[1] id, ARGV[2] Credential JSON, ARGV[3] user id,
 * ARGV[4] new lookup key without prefix, ARGV[5] key prefix, ARGV[6] the lookup name's provider part
 * (`cred:<type>:<provider id>:`, whose fields hold no `:`, so a stored lookup starting with it
 * names the same provider).
 * → 1 | 0 (no such credential, or the new login is another's) | -1 (other user or provider)
 */
export const credentialUpdate = luaScript(
  `
local fields = redis.call('HMGET', KEYS[1], 'user', 'lookup')
if not fields[1] then return 0 end
if fields[1] ~= ARGV[3] or string.sub(fields[2], 1, #ARGV[6]) ~= ARGV[6] then return ${OTHER_USER_OR_PROVIDER} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
if fields[2] ~= ARGV[4] then
  local old = ARGV[5] .. fields[2]
  if redis.call('GET', old) == ARGV[1] then redis.call('DEL', old) end
  redis.call('SET', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'lookup', ARGV[4])
return 1
`,
  integerReply('credential update'),
);

/** KEYS[1] credential · ARGV[1] id, ARGV[2] key prefix, ARGV[3] credential stem, ARGV[4] user credential set stem. → 1 */
export const credentialRemove = luaScript(
  `${REMOVE_CREDENTIAL_LUA}
removeCredential(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
return 1
`,
  integerReply('credential remove'),
);

/** KEYS[1] lookup key · ARGV[1] credential stem. → Credential JSON or nil. One round trip on the login path. */
export const credentialFind = luaScript(
  `
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('HGET', ARGV[1] .. id, 'json')
`,
  optionalStringReply('credential find'),
);

/** KEYS[1] the user's credential set · ARGV[1] credential stem. → Credential JSON, … */
export const credentialList = luaScript(
  `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local json = redis.call('HGET', ARGV[1] .. id, 'json')
  if json then out[#out + 1] = json end
end
return out
`,
  stringArrayReply('credential list'),
);

/**
 * KEYS[1] credential, KEYS[2] the users hash. → {credential JSON or nil, its user's JSON or nil}:
 * the code exchange's read of the directory on a cluster (redis/grants.ts), one round trip.
 */
export const credentialWithUser = luaScript(
  `
local fields = redis.call('HMGET', KEYS[1], 'json', 'user')
local user = false
if fields[2] then user = redis.call('HGET', KEYS[2], fields[2]) end
return { fields[1], user }
`,
  optionalStringsReply('credential with user', 2),
);
