/**
 * Create-if-absent and compare-and-set on an envelope record, each one round trip and atomic
 * (ARCHITECTURE.md, "Every write is a compare-and-set").
 *
 * A record is a hash `{rev, env}` rather than one JSON string: the script compares `rev` as a plain
 * field, so it never decodes the envelope, and `env` stays byte for byte the JSON the service wrote
 * (Lua's cjson would re-encode numbers with 14 significant digits). A refresh token's record adds
 * `hash` and `user`, the names of its two indexes.
 */
import { KEEP_AUDIT_FROM } from './audit-scripts.js';
import { integerReply, luaScript, UnexpectedReplyError } from './define.js';
import { KEEP_COUNTS } from './record-count-scripts.js';

/**
 * KEYS[1] record, KEYS[2] its machine's `states-of` (KEEP_COUNTS), KEYS[3..] audit (KEEP_AUDIT_FROM)
 * · ARGV[1] rev, ARGV[2] envelope JSON, ARGV[3] TTL in ms or '' for none, ARGV[4] its machine's
 * `in-state:` stem, ARGV[5] record id, ARGV[6..] audit. → 1 | 0
 */
export const recordCreate = luaScript(
  `${KEEP_AUDIT_FROM}${KEEP_COUNTS}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'env', ARGV[2])
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
countMove(KEYS[2], ARGV[4], ARGV[5], KEYS[1], nil, stateOf(ARGV[2]))
keepAuditFrom(3, 6)
return 1
`,
  integerReply('record create'),
);

/** A lost write's reply: what is stored, with the use a refresh token keeps beside it (refresh-token-use.ts). */
export type CasReply = { ok: true } | { ok: false; current: string | null; usedAt: string | null; usedIp: string | null };

/** What a lost compare-and-set returns: the stored envelope and use (HMGET: nils when absent). */
export const STORED_NOW = `redis.call('HMGET', KEYS[1], 'env', 'used_at', 'used_ip')`;

/**
 * A compare-and-set's one read of KEYS[1], whose revision must be ARGV[1]: when it is not, the
 * script returns what is stored (as STORED_NOW); when it is, `stored` holds what the write needs of
 * the record as it was: its envelope (`stored[2]`, whose state the counts move it from) and its
 * `hash` (`stored[5]`, CAS_WRITE's companion).
 */
export const CAS_READ = `
local stored = redis.call('HMGET', KEYS[1], 'rev', 'env', 'used_at', 'used_ip', 'hash')
if stored[1] ~= ARGV[1] then return { stored[2], stored[3], stored[4] } end`;

/**
 * The write of a compare-and-set whose revision matched (after CAS_READ), as the body of a script
 * whose KEYS[1] and ARGV[2..5] are recordCompareAndSet's (refresh-token-scripts.ts appends a
 * successor's creation to it).
 */
export const CAS_WRITE = `
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'env', ARGV[3])
local keys = { KEYS[1] }
if ARGV[5] ~= '' and stored[5] then keys[2] = ARGV[5] .. stored[5] end
for _, key in ipairs(keys) do
  if ARGV[4] == 'persist' then
    redis.call('PERSIST', key)
  elseif ARGV[4] ~= 'keep' then
    redis.call('PEXPIRE', key, ARGV[4])
  end
end`;

/** 1 when written; the envelope JSON or nil, and the use, as STORED_NOW reads them, when the revision did not match. */
export function casReply(what: string) {
  return (reply: unknown): CasReply => {
    if (reply === 1) return { ok: true };
    const stored = Array.isArray(reply) && reply.length === 3 && reply.every((item) => item === null || typeof item === 'string') ? (reply as Array<string | null>) : null;
    if (stored === null) throw new UnexpectedReplyError(what, reply);
    const [current = null, usedAt = null, usedIp = null] = stored;
    return { ok: false, current, usedAt, usedIp };
  };
}

/**
 * KEYS[1] record, KEYS[2] its machine's `states-of` (KEEP_COUNTS) · ARGV[1] expected rev, ARGV[2]
 * next rev, ARGV[3] next envelope JSON, ARGV[4] TTL: 'keep' | 'persist' | ms, ARGV[5] stem of a
 * companion key named by the record's `hash` field ('' for none: the refresh-token hash index, which
 * must expire with its record), ARGV[6] the machine's `in-state:` stem, ARGV[7] record id;
 * KEYS[3..] and ARGV[8..] the audit entries kept with the write (KEEP_AUDIT_FROM).
 * → 1 when written; otherwise what is stored (CAS_READ, in the same call).
 */
export const recordCompareAndSet = luaScript(
  `${KEEP_AUDIT_FROM}${KEEP_COUNTS}${CAS_READ}${CAS_WRITE}
countMove(KEYS[2], ARGV[6], ARGV[7], KEYS[1], stateOf(stored[2]), stateOf(ARGV[3]), ARGV[4] == 'keep')
keepAuditFrom(3, 8)
return 1
`,
  casReply('record compare-and-set'),
);

/** KEYS[1] record, KEYS[2] its machine's `states-of` · ARGV[1] its machine's `in-state:` stem, ARGV[2] record id. → 1 */
export const recordDelete = luaScript(
  `${KEEP_COUNTS}
countMove(KEYS[2], ARGV[1], ARGV[2], KEYS[1], countedState(KEYS[1]), nil)
redis.call('DEL', KEYS[1])
return 1
`,
  integerReply('record delete'),
);
