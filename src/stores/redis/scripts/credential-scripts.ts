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

/** Returned by `credentialAdd` and `loginAdd` when the user does not exist. */
export const NO_SUCH_USER = -1;

/**
 * A credential's creation: `credentialAddRefusal(k, a)` reads KEYS[k..k+3] and ARGV[a..a+3] as
 * credentialAdd's KEYS[1..4] and ARGV[1..4] and returns NO_SUCH_USER, 0 (id or login taken) or nil;
 * `addCredential(k, a)` then writes it.
 */
const ADD_CREDENTIAL = `
local function credentialAddRefusal(k, a)
  if redis.call('HEXISTS', KEYS[k + 3], ARGV[a + 2]) == 0 then return ${NO_SUCH_USER} end
  if redis.call('EXISTS', KEYS[k]) == 1 or redis.call('EXISTS', KEYS[k + 1]) == 1 then return 0 end
  return nil
end
local function addCredential(k, a)
  redis.call('HSET', KEYS[k], 'json', ARGV[a + 1], 'user', ARGV[a + 2], 'lookup', ARGV[a + 3])
  redis.call('SET', KEYS[k + 1], ARGV[a])
  redis.call('SADD', KEYS[k + 2], ARGV[a])
end
`;

/**
 * KEYS[1] credential, KEYS[2] lookup key, KEYS[3] the user's credential set, KEYS[4] users ·
 * ARGV[1] id, ARGV[2] Credential JSON, ARGV[3] user id, ARGV[4] lookup key without prefix.
 * → 1 | 0 (id or login taken) | -1 (no such user: a credential is always linked to a user)
 */
export const credentialAdd = luaScript(
  `${ADD_CREDENTIAL}
local refusal = credentialAddRefusal(1, 1)
if refusal then return refusal end
addCredential(1, 1)
return 1
`,
  integerReply('credential add'),
);

/** `loginAdd`'s replies but NO_SUCH_USER. */
export const LOGIN_ADDED = 1;
export const LOGIN_USERNAME_TAKEN = 0;
export const LOGIN_CREDENTIAL_TAKEN = 2;

/**
 * UserStore.addLogin. KEYS[1] the passwords hash, KEYS[2..5] as credentialAdd's KEYS[1..4] ·
 * ARGV[1] username, ARGV[2] password hash, ARGV[3..6] as credentialAdd's ARGV[1..4], ARGV[7] the
 * credential stem (to read whose a held login is). Everything is checked before anything is written.
 * → LOGIN_ADDED | LOGIN_USERNAME_TAKEN | LOGIN_CREDENTIAL_TAKEN | NO_SUCH_USER
 */
export const loginAdd = luaScript(
  `${ADD_CREDENTIAL}
if redis.call('HEXISTS', KEYS[5], ARGV[5]) == 0 then return ${NO_SUCH_USER} end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return ${LOGIN_USERNAME_TAKEN} end
local holder = redis.call('GET', KEYS[3])
if holder then
  -- The user's own credential that lost its entry is kept; another user's is theirs.
  if redis.call('HGET', ARGV[7] .. holder, 'user') ~= ARGV[5] then return ${LOGIN_CREDENTIAL_TAKEN} end
else
  -- Only a taken id is left to refuse (random ids: never in practice), as another's login.
  if credentialAddRefusal(2, 3) then return ${LOGIN_CREDENTIAL_TAKEN} end
  addCredential(2, 3)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ${LOGIN_ADDED}
`,
  integerReply('login add'),
);

/** Returned by `credentialUpdate` and `loginRename` when the user or the provider differ from the stored ones. */
export const OTHER_USER_OR_PROVIDER = -1;

/**
 * A credential's update, checked before anything is written: `credentialUpdateRefusal(k, a)` reads
 * KEYS[k] the credential and KEYS[k + 1] its new lookup key, with ARGV[a..a+5] as credentialUpdate's
 * ARGV[1..6], and returns why the update cannot be made ('missing', 'taken', 'other') or nil and the
 * stored lookup, which `applyCredentialUpdate(k, a, stored)` then moves.
 */
const UPDATE_CREDENTIAL = `
local function credentialUpdateRefusal(k, a)
  local fields = redis.call('HMGET', KEYS[k], 'user', 'lookup')
  if not fields[1] then return 'missing' end
  if fields[1] ~= ARGV[a + 2] or string.sub(fields[2], 1, #ARGV[a + 5]) ~= ARGV[a + 5] then return 'other' end
  local holder = redis.call('GET', KEYS[k + 1])
  if holder and holder ~= ARGV[a] then return 'taken' end
  return nil, fields[2]
end
local function applyCredentialUpdate(k, a, stored)
  if stored ~= ARGV[a + 3] then
    local old = ARGV[a + 4] .. stored
    if redis.call('GET', old) == ARGV[a] then redis.call('DEL', old) end
    redis.call('SET', KEYS[k + 1], ARGV[a])
  end
  redis.call('HSET', KEYS[k], 'json', ARGV[a + 1], 'lookup', ARGV[a + 3])
end
`;

/**
 * KEYS[1] credential, KEYS[2] new lookup key · ARGV[1] id, ARGV[2] Credential JSON, ARGV[3] user id,
 * ARGV[4] new lookup key without prefix, ARGV[5] key prefix, ARGV[6] the lookup name's provider part
 * (`cred:<type>:<provider id>:`, whose fields hold no `:`, so a stored lookup starting with it
 * names the same provider).
 * → 1 | 0 (no such credential, or the new login is another's) | -1 (other user or provider)
 */
export const credentialUpdate = luaScript(
  `${UPDATE_CREDENTIAL}
local refusal, stored = credentialUpdateRefusal(1, 1)
if refusal == 'other' then return ${OTHER_USER_OR_PROVIDER} end
if refusal then return 0 end
applyCredentialUpdate(1, 1, stored)
return 1
`,
  integerReply('credential update'),
);

/** `loginRename`'s replies but OTHER_USER_OR_PROVIDER. */
export const LOGIN_RENAMED = 1;
export const LOGIN_TAKEN = 0;
export const LOGIN_MISSING = 2;

/**
 * UserStore.renameLogin. KEYS[1] the passwords hash, then with a credential KEYS[2] the credential
 * and KEYS[3] its new lookup key · ARGV[1] from, ARGV[2] to, then with a credential ARGV[3..8] as
 * credentialUpdate's ARGV[1..6]. Everything is checked before anything is written.
 * → LOGIN_RENAMED | LOGIN_TAKEN | LOGIN_MISSING | OTHER_USER_OR_PROVIDER
 */
export const loginRename = luaScript(
  `${UPDATE_CREDENTIAL}
local refusal, stored
if KEYS[2] then
  refusal, stored = credentialUpdateRefusal(2, 3)
  if refusal == 'other' then return ${OTHER_USER_OR_PROVIDER} end
end
local hash = redis.call('HGET', KEYS[1], ARGV[1])
if not hash or refusal == 'missing' then return ${LOGIN_MISSING} end
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 or refusal == 'taken' then return ${LOGIN_TAKEN} end
if KEYS[2] then applyCredentialUpdate(2, 3, stored) end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], hash)
return ${LOGIN_RENAMED}
`,
  integerReply('login rename'),
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
