/**
 * Sealed secrets on both stores (src/stores/sealing/): what is stored, what a store written before
 * sealing becomes, key rotation, wrong keys, and altered or moved ciphertext. Each test opens the
 * same store several times (an SQLite file, a Redis prefix) and looks at the stored text between
 * openings, as a copy of the store would.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createCluster } from 'redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId, newSecret, sha256Hex } from '../../src/domain/ids.js';
import type { Logger } from '../../src/domain/logger.js';
import { UnreadableRecordError } from '../../src/stores/envelope-codec.js';
import { redisKeys } from '../../src/stores/redis/keys.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { KEY_FILE, SealingKeyError } from '../../src/stores/sealing/secrets-keys.js';
import { createSealer, keyIdOf, sealedKeyId, type Sealer } from '../../src/stores/sealing/sealer.js';
import { DATABASE_FILE } from '../../src/stores/sqlite/open-database.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Envelope, Store } from '../../src/stores/types.js';
import type { User } from '../../src/domain/models.js';
import { deleteKeysUnder, rawClient, REDIS_URL, uniquePrefix } from './redis-harness.js';
import { makeTempDir } from './sqlite-harness.js';
import { clusterForFile } from '../support/file-cluster.js';

/** The stored text of each secret, read and written around the store (which must be closed meanwhile). */
interface RawStore {
  jwtKey: { get(tokenId: string): Promise<string>; set(tokenId: string, text: string): Promise<void> };
  setupSecret: { get(flowId: string): Promise<string>; set(flowId: string, text: string): Promise<void> };
  totp: { get(userId: string): Promise<string>; set(userId: string, text: string): Promise<void> };
  secret: { get(name: string): Promise<string>; set(name: string, text: string): Promise<void> };
  /** Makes the store one written before sealing: no marker. */
  dropMarker(): Promise<void>;
  close(): Promise<void>;
}

interface Place {
  /** Opens the store at this place; without a sealer, the store's own (SQLite: the key file). */
  open(sealer?: Sealer, logger?: Logger): Promise<Store>;
  raw(): Promise<RawStore>;
  cleanup(): Promise<void>;
}

type Context = Record<string, unknown>;
const contextOf = (text: string): Context => (JSON.parse(text) as { snapshot: { context: Context } }).snapshot.context;
const withContext = (text: string, change: Context) => {
  const envelope = JSON.parse(text) as { snapshot: { context: Context } };
  envelope.snapshot.context = { ...envelope.snapshot.context, ...change };
  return JSON.stringify(envelope);
};

function envelopeField<T extends string>(read: (id: string) => Promise<string>, write: (id: string, text: string) => Promise<void>, field: T) {
  return {
    get: async (id: string) => contextOf(await read(id))[field] as string,
    set: async (id: string, text: string) => write(id, withContext(await read(id), { [field]: text })),
  };
}

function sqlitePlace(): Place {
  const temp = makeTempDir();
  return {
    open: async (sealer, logger) => openSqliteStore({ dataDir: temp.dir, ...(sealer === undefined ? {} : { sealer }), ...(logger === undefined ? {} : { logger }) }),
    raw: async () => {
      const db = new Database(join(temp.dir, DATABASE_FILE));
      const column = (table: string, column: string, where: string) => ({
        get: async (...keys: string[]) => (db.prepare(`SELECT ${column} AS value FROM ${table} WHERE ${where}`).get(...keys) as { value: string }).value,
        set: async (text: string, ...keys: string[]) => void db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${where}`).run(text, ...keys),
      });
      const tokens = column('refresh_tokens', 'envelope', 'id = ?');
      const flows = column('mfa_setup_flows', 'envelope', 'id = ?');
      const totp = column('mfa_secrets', 'secret', "module_id = 'totp' AND user_id = ?");
      const secrets = column('secrets', 'value', 'name = ?');
      return {
        jwtKey: envelopeField((id) => tokens.get(id), (id, text) => tokens.set(text, id), 'jwtKey'),
        setupSecret: envelopeField((id) => flows.get(id), (id, text) => flows.set(text, id), 'secret'),
        totp: { get: (userId) => totp.get(userId), set: (userId, text) => totp.set(text, userId) },
        secret: { get: (name) => secrets.get(name), set: (name, text) => secrets.set(text, name) },
        dropMarker: async () => void db.prepare('DELETE FROM sealing').run(),
        close: async () => void db.close(),
      };
    },
    cleanup: async () => temp.remove(),
  };
}

/** The same on Redis: one server, or a cluster of three masters (its names carry hash tags: keys.ts). */
function redisPlace(topology: 'server' | 'cluster'): () => Place {
  return () => {
    const prefix = uniquePrefix();
    const keys = redisKeys(prefix, { cluster: topology === 'cluster' });
    const where = async () => (topology === 'cluster' ? { cluster: { nodes: (await sharedCluster()).urls } } : { url: REDIS_URL });
    const rawOf = async (): Promise<RawRedis> => {
      if (topology === 'server') return rawClient();
      const client = createCluster({ rootNodes: (await sharedCluster()).urls.map((url) => ({ url })) });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    };
    return {
      open: async (sealer, logger) =>
        openRedisStore({ ...(await where()), keyPrefix: prefix, sealer: sealer ?? createSealer([randomBytes(32)], 'SECRETS_KEY'), ...(logger === undefined ? {} : { logger }) }),
      raw: async () => {
        const client = await rawOf();
        const env = (key: (id: string) => string) => ({
          read: async (id: string) => (await client.hGet(key(id), 'env')) ?? '',
          write: async (id: string, text: string) => void (await client.hSet(key(id), 'env', text)),
        });
        const [tokens, flows] = [env(keys.refreshToken), env(keys.mfaSetupFlow)];
        return {
          jwtKey: envelopeField(tokens.read, tokens.write, 'jwtKey'),
          setupSecret: envelopeField(flows.read, flows.write, 'secret'),
          totp: {
            get: async (userId) => (await client.hGet(keys.mfa(userId), 'secret:totp')) ?? '',
            set: async (userId, text) => void (await client.hSet(keys.mfa(userId), 'secret:totp', text)),
          },
          secret: {
            get: async (name) => (await client.get(keys.secret(name))) ?? '',
            set: async (name, text) => void (await client.set(keys.secret(name), text)),
          },
          dropMarker: async () => void (await client.del(keys.sealingMarker)),
          close: async () => client.destroy(),
        };
      },
      // A cluster is thrown away with the file, keys and all.
      cleanup: () => (topology === 'server' ? deleteKeysUnder(prefix) : Promise.resolve()),
    };
  };
}

type RawRedis = Pick<Awaited<ReturnType<typeof rawClient>>, 'hGet' | 'hSet' | 'get' | 'set' | 'del' | 'destroy'>;

const sharedCluster = clusterForFile();

const [k1, k2, k3] = [randomBytes(32), randomBytes(32), randomBytes(32)];
const sealerOf = (...keys: Buffer[]) => createSealer(keys, 'SECRETS_KEY');

/** What the test writes, with the plaintext of every secret. */
interface Written {
  tokenId: string;
  tokenHash: string;
  userId: string;
  flowId: string;
  jwtKey: string;
  setupSecret: string;
  totp: string;
  secretName: string;
  secret: string;
}

function tokenEnvelope(id: string, jwtKey: string, rev = 1): Envelope {
  return { machine: 'refreshToken', v: 2, rev, snapshot: { value: 'issued', context: { id, jwtKey, lastUsedAt: rev } } };
}

async function writeSecrets(store: Store, secretName = 'http.auth.sign_secret'): Promise<Written> {
  const user: User = { id: newId(), name: 'Alice', isOwner: false, isActive: true, systemGenerated: false, localOnly: false, groupIds: [], createdAt: 1 };
  const written: Written = {
    tokenId: newId(),
    tokenHash: sha256Hex(newSecret()),
    userId: user.id,
    flowId: newId(),
    jwtKey: newSecret(),
    setupSecret: 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU',
    totp: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    secretName,
    secret: newSecret(),
  };
  expect(await store.users.createUser(user)).toBe(true);
  expect(await store.refreshTokens.create({ id: written.tokenId, userId: user.id, tokenHash: written.tokenHash }, tokenEnvelope(written.tokenId, written.jwtKey))).toBe(true);
  const flow: Envelope = { machine: 'mfaSetupFlow', v: 1, rev: 1, snapshot: { value: 'awaiting_code', context: { flowId: written.flowId, secret: written.setupSecret } } };
  expect(await store.mfaSetupFlows.create(written.flowId, flow, 600_000)).toBe(true);
  expect(await store.mfa.setSecret('totp', user.id, written.totp, 100)).toBe(true);
  expect(await store.secrets.getOrCreate(written.secretName, written.secret)).toBe(written.secret);
  return written;
}

async function storedTexts(raw: RawStore, written: Written): Promise<string[]> {
  return [
    await raw.jwtKey.get(written.tokenId),
    await raw.setupSecret.get(written.flowId),
    await raw.totp.get(written.userId),
    await raw.secret.get(written.secretName),
  ];
}

/** The store gives back every secret as written. */
async function expectReadable(store: Store, written: Written): Promise<void> {
  expect(((await store.refreshTokens.load(written.tokenId))?.snapshot as { context: Context }).context.jwtKey).toBe(written.jwtKey);
  expect(((await store.mfaSetupFlows.load(written.flowId))?.snapshot as { context: Context }).context.secret).toBe(written.setupSecret);
  expect(await store.mfa.getSecret('totp', written.userId)).toBe(written.totp);
  expect(await store.secrets.getOrCreate(written.secretName, 'another candidate')).toBe(written.secret);
}

describe.each([
  ['sqlite', sqlitePlace],
  ['redis', redisPlace('server')],
  ['a Redis Cluster', redisPlace('cluster')],
])('sealed secrets on %s', (_kind, makePlace) => {
  let place: Place;
  let opened: Store[];
  const open = async (sealer?: Sealer, logger?: Logger) => {
    const store = await place.open(sealer, logger);
    opened.push(store);
    return store;
  };
  /** Closes the store (SQLite holds its file exclusively) and gives the stored text. */
  const closeAndLook = async (store: Store) => {
    await store.close();
    return place.raw();
  };
  beforeEach(() => {
    place = makePlace();
    opened = [];
  });
  afterEach(async () => {
    for (const store of opened) await store.close();
    await place.cleanup();
  });

  it('stores every secret sealed with the first key, holding nothing of the plaintext, and reads it back', async () => {
    const store = await open(sealerOf(k1, k2));
    const written = await writeSecrets(store);
    await expectReadable(store, written);
    const raw = await closeAndLook(store);
    const texts = await storedTexts(raw, written);
    await raw.close();
    for (const text of texts) expect(sealedKeyId(text)).toBe(keyIdOf(k1));
    for (const plaintext of [written.jwtKey, written.setupSecret, written.totp, written.secret]) {
      for (const text of texts) expect(text).not.toContain(plaintext.slice(0, 12));
    }
  });

  it('reads a store written before sealing, and its first start seals every secret in it', async () => {
    const written = await writeSecrets(await open(sealerOf(k1)));
    const raw = await closeAndLook(opened[0] as Store);
    // What a version without sealing wrote: the same records, secrets in the clear, no marker.
    await raw.jwtKey.set(written.tokenId, written.jwtKey);
    await raw.setupSecret.set(written.flowId, written.setupSecret);
    await raw.totp.set(written.userId, written.totp);
    await raw.secret.set(written.secretName, written.secret);
    await raw.dropMarker();
    await raw.close();

    const logged: Array<[object, string]> = [];
    const upgraded = await open(sealerOf(k1), { info: (details, message) => void logged.push([details, message]), warn: () => undefined, error: () => undefined });
    expect(logged.map(([details, message]) => [{ ...details, ms: 0 }, message])).toEqual([[{ keyId: keyIdOf(k1), resealed: 4, unreadable: 0, ms: 0 }, 'stored secrets sealed with the first key']]);
    const after = await closeAndLook(upgraded);
    for (const text of await storedTexts(after, written)) expect(sealedKeyId(text)).toBe(keyIdOf(k1));
    await after.close();
    await expectReadable(await open(sealerOf(k1)), written);
  });

  it('reads a secret an older instance wrote in the clear meanwhile, and seals it at the next write', async () => {
    const written = await writeSecrets(await open(sealerOf(k1)));
    const raw = await closeAndLook(opened[0] as Store);
    await raw.jwtKey.set(written.tokenId, written.jwtKey);
    await raw.close();
    const store = await open(sealerOf(k1));
    expect(await store.refreshTokens.compareAndSet(written.tokenId, 1, tokenEnvelope(written.tokenId, written.jwtKey, 2))).toEqual({ ok: true });
    const after = await closeAndLook(store);
    expect(sealedKeyId(await after.jwtKey.get(written.tokenId))).toBe(keyIdOf(k1));
    await after.close();
  });

  it('seals on demand what was written in the clear after its start (hass-auth secrets seal), counting what no key opens', async () => {
    const written = await writeSecrets(await open(sealerOf(k1)));
    const raw = await closeAndLook(opened[0] as Store);
    await raw.totp.set(written.userId, written.totp);
    await raw.secret.set(written.secretName, createSealer([k3], 'elsewhere').seal(written.secret, 'secret\0elsewhere'));
    await raw.close();
    const store = await open(sealerOf(k1));
    expect(await store.sealSecrets()).toEqual({ keyId: keyIdOf(k1), resealed: 1, unreadable: 1 });
    const after = await closeAndLook(store);
    expect(sealedKeyId(await after.totp.get(written.userId))).toBe(keyIdOf(k1));
    await after.close();
  });

  it('rotates: with the new key first and the old one after, reads everything and seals it with the new key, which alone then reads it', async () => {
    const written = await writeSecrets(await open(sealerOf(k1)));
    await opened[0]?.close();
    const rotating = await open(sealerOf(k2, k1));
    await expectReadable(rotating, written);
    const raw = await closeAndLook(rotating);
    for (const text of await storedTexts(raw, written)) expect(sealedKeyId(text)).toBe(keyIdOf(k2));
    await raw.close();
    const rotated = await open(sealerOf(k2));
    await expectReadable(rotated, written);
    await rotated.close();
    // The old key alone opens nothing any more: refused, as any wrong key.
    await expect(place.open(sealerOf(k1))).rejects.toThrow(`the store's secrets are sealed with key ${keyIdOf(k2)}, which SECRETS_KEY does not hold (it holds ${keyIdOf(k1)})`);
  });

  it('refuses to open with a wrong key, at once, naming the key it needs, and leaves the store as it was', async () => {
    const written = await writeSecrets(await open(sealerOf(k1)));
    await opened[0]?.close();
    const started = performance.now();
    const refusal = place.open(sealerOf(k3));
    await expect(refusal).rejects.toThrow(SealingKeyError);
    await expect(refusal).rejects.toThrow(`sealed with key ${keyIdOf(k1)}, which SECRETS_KEY does not hold (it holds ${keyIdOf(k3)}); give that key`);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expectReadable(await open(sealerOf(k1)), written);
  });

  it('treats altered or moved ciphertext as unreadable: a token as expired, a TOTP secret as refusing every code, a deployment secret as replaced', async () => {
    const written = await writeSecrets(await open(sealerOf(k1)));
    const other = await writeSecrets(opened[0] as Store, `secret-${newId()}`);
    const raw = await closeAndLook(opened[0] as Store);
    const flip = (text: string) => `${text.slice(0, -3)}${text.at(-3) === 'A' ? 'B' : 'A'}${text.slice(-2)}`;
    const sealedKey = await raw.jwtKey.get(written.tokenId);
    await raw.jwtKey.set(written.tokenId, flip(sealedKey));
    // Bound to its own record, a sealed key copied over another token's does not open there.
    await raw.jwtKey.set(other.tokenId, sealedKey);
    await raw.totp.set(written.userId, flip(await raw.totp.get(written.userId)));
    await raw.secret.set(written.secretName, flip(await raw.secret.get(written.secretName)));
    await raw.close();

    const store = await open(sealerOf(k1));
    await expect(store.refreshTokens.load(written.tokenId)).rejects.toThrow(UnreadableRecordError);
    await expect(store.refreshTokens.loadByTokenHash(written.tokenHash)).rejects.toThrow(UnreadableRecordError);
    expect((await store.refreshTokens.listByUser(written.userId)).map(({ id }) => id)).toEqual([]);
    await expect(store.refreshTokens.load(other.tokenId)).rejects.toThrow(UnreadableRecordError);
    await expect(store.mfa.getSecret('totp', written.userId)).rejects.toThrow(UnreadableRecordError);
    expect(await store.mfa.acceptStep('totp', written.userId, written.totp, 101)).toBe(false);
    expect(await store.secrets.getOrCreate(written.secretName, 'fresh')).toBe('fresh');
    expect(await store.secrets.getOrCreate(written.secretName, 'later')).toBe('fresh');
    // Setting the module up again stores a secret that opens.
    expect(await store.mfa.setSecret('totp', written.userId, written.totp, 100)).toBe(true);
    expect(await store.mfa.acceptStep('totp', written.userId, written.totp, 101)).toBe(true);
  });
});

describe('sealed secrets on sqlite, with the key file in DATA_DIR', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it('seals with the key file the first start made, reads with it at the next, and refuses to start once it is lost', async () => {
    const first = openSqliteStore({ dataDir: temp.dir });
    const written = await writeSecrets(first);
    await first.close();
    const again = openSqliteStore({ dataDir: temp.dir });
    await expectReadable(again, written);
    await again.close();
    rmSync(join(temp.dir, KEY_FILE));
    expect(() => openSqliteStore({ dataDir: temp.dir })).toThrow(`${join(temp.dir, KEY_FILE)} is missing, and the store's secrets are sealed with the key it held`);
    // Refused before anything was written: no new key stands in for the lost one, and the file is free again.
    expect(() => openSqliteStore({ dataDir: temp.dir })).toThrow(SealingKeyError);
  });
});
