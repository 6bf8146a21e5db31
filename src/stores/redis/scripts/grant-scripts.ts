/**
 * The code exchange's one read (issue 16): a grant `grant:<codeHash>` {rev, env} with the stored
 * credential its snapshot's login names and that credential's user. The grant's write is
 * refreshTokenExchange (refresh-token-scripts.ts): its redemption and the token it produces together.
 */
import { luaScript, optionalStringsReply, UnexpectedReplyError } from './define.js';

/**
 * KEYS[1] grant, KEYS[2] the users hash · ARGV[1] credential stem. → {envelope JSON, credential JSON
 * or nil, user JSON or nil}, or nil when the grant is absent. An envelope that does not decode names
 * no credential; reading it is the service's (it is then treated as expired).
 */
export const grantLoadRedemption = luaScript(
  `
local env = redis.call('HGET', KEYS[1], 'env')
if not env then return false end
local named, credentialId = pcall(function() return cjson.decode(env).snapshot.context.credential.id end)
if not named or type(credentialId) ~= 'string' then return { env, false, false } end
local fields = redis.call('HMGET', ARGV[1] .. credentialId, 'json', 'user')
local user = false
if fields[2] then user = redis.call('HGET', KEYS[2], fields[2]) end
return { env, fields[1], user }
`,
  (reply: unknown): { env: string; credential: string | null; user: string | null } | null => {
    if (reply === null || reply === false) return null;
    const [env, credential, user] = optionalStringsReply('grant load redemption', 3)(reply);
    if (env === null || env === undefined) throw new UnexpectedReplyError('grant load redemption', reply);
    return { env, credential: credential ?? null, user: user ?? null };
  },
);
