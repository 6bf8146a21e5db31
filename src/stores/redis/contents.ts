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
import { escapeGlob } from './record-counts.js';

const SCAN_COUNT = 1_000;
const READS_IN_FLIGHT = 200;

/** The login a `cred:` key names (keys.ts `credentialLookupSuffix`, read backwards). */
function loginOf(rest: string): CredentialLogin | null {
  const match = /^([^:]*):([^:]*):([\s\S]*)$/.exec(rest);
  if (match === null) return null;
  const [, type, providerId, lookupKey] = match as unknown as [string, string, string, string];
  return { authProviderType: decodeURIComponent(type), authProviderId: providerId === '%' ? null : decodeURIComponent(providerId), lookupKey };
}

export function redisContents(run: Run, keys: RedisKeys, codec: EnvelopeCodec): () => Promise<StoreContents> {
  const recordStems: Array<[MachineName, string]> = [
    ['loginGrant', keys.grant('')],
    ['loginFlow', keys.flow('')],
    ['mfaSetupFlow', keys.mfaSetupFlow('')],
    ['refreshToken', keys.refreshToken('')],
  ];
  const loginStem = `${keys.prefix}cred:`;
  const mfaStem = keys.mfa('');

  const scanAll = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const step = await run('readContents', (client) => client.scan(cursor, { MATCH: `${escapeGlob(keys.prefix)}*`, COUNT: SCAN_COUNT }));
      found.push(...step.keys);
      cursor = step.cursor;
    } while (cursor !== '0');
    return [...new Set(found)];
  };

  return async () => {
    const contents = emptyStoreContents();
    const reads: Array<() => Promise<void>> = [];
    const read = <T>(command: (client: StoreCommands) => Promise<T>, use: (value: T) => void) => {
      reads.push(() => run('readContents', command).then(use));
    };
    for (const key of await scanAll()) {
      const after = (stem: string) => (key.startsWith(stem) ? key.slice(stem.length) : null);
      const family = recordStems.find(([, stem]) => key.startsWith(stem));
      if (family !== undefined) {
        const [machine, stem] = family;
        const id = key.slice(stem.length);
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
        continue;
      }
      const tokenHash = after(keys.stems.refreshTokenHash);
      const tokensOf = after(keys.stems.userRefreshTokens);
      const credentialId = after(keys.stems.credential);
      const credentialsOf = after(keys.stems.userCredentials);
      const login = after(loginStem);
      const mfaUser = after(mfaStem);
      if (tokenHash !== null) {
        read((client) => client.get(key), (id) => id !== null && contents.refreshTokenHashIndex.push({ tokenHash, id }));
      } else if (tokensOf !== null) {
        read((client) => client.sMembers(key), (ids) => ids.forEach((id) => contents.userRefreshTokenIndex.push({ userId: tokensOf, id })));
      } else if (credentialId !== null) {
        read((client) => client.hmGet(key, ['json', 'user', 'lookup']), ([json, userId, lookup]) => {
          if (json === null || json === undefined) return;
          const stored = lookup?.startsWith('cred:') === true ? loginOf(lookup.slice('cred:'.length)) : null;
          contents.credentials.push({ id: credentialId, credential: decodeCredential(json), userId: userId ?? '', login: stored });
        });
      } else if (credentialsOf !== null) {
        read((client) => client.sMembers(key), (ids) => ids.forEach((id) => contents.userCredentialIndex.push({ userId: credentialsOf, id })));
      } else if (login !== null) {
        const parsed = loginOf(login);
        read((client) => client.get(key), (id) => id !== null && parsed !== null && contents.credentialLoginIndex.push({ login: parsed, id }));
      } else if (mfaUser !== null) {
        read((client) => client.hKeys(key), (fields) => {
          for (const field of fields) if (field.startsWith('secret:')) contents.mfaSecrets.push({ moduleId: field.slice('secret:'.length), userId: mfaUser });
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
