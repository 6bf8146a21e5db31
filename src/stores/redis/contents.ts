/**
 * `readContents` on Redis (types.ts `StoreContents`): a SCAN of the deployment's keys (keys.ts has
 * the layout), each key sorted by its stem and read as it is, index keys included, so that a check can
 * see an index that points nowhere. The reads are single commands, not one transaction: read a store
 * at rest (a key removed between the SCAN and its read is left out, like one past its TTL).
 */
import type { MachineName } from '../../../machines/index.js';
import type { EnvelopeCodec } from '../envelope-codec.js';
import { type RefreshTokenKeys } from '../types.js';
import { emptyStoreContents, type CredentialLogin, type StoreContents, type StoredRecord } from '../store-contents.js';
import { decodeCredential, decodeUser } from './codec.js';
import type { StoreCommands } from './connection.js';
import type { Run } from './guard.js';
import type { RedisKeys } from './keys.js';
import type { KeyWalk } from './key-walk.js';
import { escapeGlob } from './record-counts.js';

const READS_IN_FLIGHT = 200;

/** The login a `cred:` key names (keys.ts `credentialLookupSuffix`, read backwards). */
function loginOf(rest: string): CredentialLogin | null {
  const match = /^([^:]*):([^:]*):([\s\S]*)$/.exec(rest);
  if (match === null) return null;
  const [, type, providerId, lookupKey] = match as unknown as [string, string, string, string];
  return { authProviderType: decodeURIComponent(type), authProviderId: providerId === '%' ? null : decodeURIComponent(providerId), lookupKey };
}

/** The machine of each record family (keys.ts). */
const RECORD_FAMILIES: Record<string, MachineName> = { grant: 'loginGrant', flow: 'loginFlow', 'mfa-flow': 'mfaSetupFlow', rt: 'refreshToken' };

export function redisContents(run: Run, keys: RedisKeys, codec: EnvelopeCodec, walk: KeyWalk): () => Promise<StoreContents> {
  return async () => {
    const contents = emptyStoreContents();
    const reads: Array<() => Promise<void>> = [];
    const read = <T>(command: (client: StoreCommands) => Promise<T>, use: (value: T) => void) => {
      reads.push(() => run('readContents', command).then(use));
    };
    const seen = new Set<string>();
    await walk('readContents', `${escapeGlob(keys.prefix)}*`, async (found) => {
      for (const key of found) seen.add(key);
    });
    for (const key of seen) {
      const name = keys.nameOf(key);
      if (name === null) continue;
      const { family, rest } = name;
      const machine = RECORD_FAMILIES[family];
      if (machine !== undefined) {
        const id = rest;
        read((client) => client.hmGet(key, ['env', 'hash', 'user']), ([env, tokenHash, userId]) => {
          if (env === null || env === undefined) return;
          const record: StoredRecord = { id, envelope: codec.decodeOrSkip(id, env)[0] ?? null };
          contents.records[machine].push(record);
          if (machine === 'refreshToken') {
            // A field missing from the record reads as '', which no index entry has: the check reports it.
            const tokenKeys: RefreshTokenKeys = { id, tokenHash: tokenHash ?? '', userId: userId ?? '' };
            contents.refreshTokenKeys.push(tokenKeys);
          }
        });
      } else if (family === 'rt-hash') {
        read((client) => client.get(key), (id) => id !== null && contents.refreshTokenHashIndex.push({ tokenHash: rest, id }));
      } else if (family === 'user-rts') {
        read((client) => client.sMembers(key), (ids) => ids.forEach((id) => contents.userRefreshTokenIndex.push({ userId: rest, id })));
      } else if (family === 'credential') {
        read((client) => client.hmGet(key, ['json', 'user', 'lookup']), ([json, userId, lookup]) => {
          if (json === null || json === undefined) return;
          const stored = lookup?.startsWith('cred:') === true ? loginOf(lookup.slice('cred:'.length)) : null;
          contents.credentials.push({ id: rest, credential: decodeCredential(json), userId: userId ?? '', login: stored });
        });
      } else if (family === 'user-creds') {
        read((client) => client.sMembers(key), (ids) => ids.forEach((id) => contents.userCredentialIndex.push({ userId: rest, id })));
      } else if (family === 'cred') {
        const parsed = loginOf(rest);
        read((client) => client.get(key), (id) => id !== null && parsed !== null && contents.credentialLoginIndex.push({ login: parsed, id }));
      } else if (family === 'mfa') {
        read((client) => client.hKeys(key), (fields) => {
          for (const field of fields) if (field.startsWith('secret:')) contents.mfaSecrets.push({ moduleId: field.slice('secret:'.length), userId: rest });
        });
      } else if (key === keys.users) {
        read((client) => client.hVals(key), (texts) => contents.users.push(...texts.map(decodeUser)));
      } else if (key === keys.owners) {
        read((client) => client.sMembers(key), (ids) => contents.ownerIds.push(...ids));
      }
    }
    // A few hundred commands in flight at a time: all at once, a large deployment's thousands of
    // reads would wait behind each other past the guard's deadline (guard.ts).
    for (let start = 0; start < reads.length; start += READS_IN_FLIGHT) {
      await Promise.all(reads.slice(start, start + READS_IN_FLIGHT).map((readOne) => readOne()));
    }
    return contents;
  };
}
