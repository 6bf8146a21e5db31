/**
 * Secrets at rest (issue 18), end to end on both stores: after onboarding, a login, code exchanges, a
 * refresh, a long-lived access token, TOTP set up and a signed path, every value the store holds
 * (Redis: every key under the prefix, by type; SQLite: every column of every row of every table) is
 * tried as the HS256 key of each access token the service issued, and compared with the TOTP
 * secret: none verifies, none holds it. Then altered ciphertext: the service refuses the token and
 * the code as it would unknown ones, never with a 500.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { DATABASE_FILE } from '../../src/stores/sqlite/open-database.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/types.js';
import { setUpTotp, STEP_MS, totpAt } from '../support/mfa.js';
import { CLIENT_ID, logIn, onboardOwner, postForm, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { deleteKeysUnder, keysUnder, rawClient, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { makeTempDir } from '../stores/sqlite-harness.js';
import { claimsOf } from '../ws/ws-helpers.js';
import { exchangeCode, jsonOf, openFlow, submitStep } from './http-helpers.js';

interface Issued {
  accessTokens: string[];
  refreshToken: string;
  totpSecret: string;
}

/** A store at a place the test can read around the service, opened again on the same data. */
interface StorePlace {
  open(): Promise<Store>;
  /** Every value stored, as text; the store must be closed. */
  everyValue(): Promise<string[]>;
  /** Replaces `from` with `to` wherever stored; the store must be closed. */
  replace(from: string, to: string): Promise<void>;
  cleanup(): Promise<void>;
}

function sqlitePlace(): StorePlace {
  const temp = makeTempDir();
  const withDatabase = <T>(use: (db: Database.Database) => T): T => {
    const db = new Database(join(temp.dir, DATABASE_FILE));
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  const tables = (db: Database.Database) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map(({ name }) => name);
  return {
    // The store's own key, in its key file: what an embedded deployment runs with.
    open: async () => openSqliteStore({ dataDir: temp.dir }),
    everyValue: async () =>
      withDatabase((db) =>
        tables(db).flatMap((table) =>
          (db.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>).flatMap((row) =>
            Object.values(row).flatMap((value) => (value === null ? [] : [Buffer.isBuffer(value) ? value.toString('latin1') : String(value as string | number | bigint)])),
          ),
        ),
      ),
    replace: async (from, to) =>
      withDatabase((db) => {
        for (const table of tables(db)) {
          const columns = (db.prepare(`SELECT name FROM pragma_table_info(?) WHERE type = 'TEXT'`).all(table) as Array<{ name: string }>).map(({ name }) => name);
          for (const column of columns) db.prepare(`UPDATE "${table}" SET "${column}" = replace("${column}", ?, ?)`).run(from, to);
        }
      }),
    cleanup: async () => temp.remove(),
  };
}

function redisPlace(): StorePlace {
  const prefix = uniquePrefix();
  const withClient = async <T>(use: (client: Awaited<ReturnType<typeof rawClient>>) => Promise<T>): Promise<T> => {
    const client = await rawClient();
    try {
      return await use(client);
    } finally {
      client.destroy();
    }
  };
  return {
    open: () => openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() }),
    everyValue: () =>
      withClient(async (client) => {
        const values: string[] = [];
        for (const key of await keysUnder(client, prefix)) {
          values.push(key);
          const type = await client.type(key);
          if (type === 'string') values.push((await client.get(key)) ?? '');
          else if (type === 'hash') values.push(...Object.entries(await client.hGetAll(key)).flat());
          else if (type === 'list') values.push(...(await client.lRange(key, 0, -1)));
          else if (type === 'set') values.push(...(await client.sMembers(key)));
          else if (type === 'zset') values.push(...(await client.zRange(key, 0, -1)));
          else if (type === 'stream') values.push(...((await client.xRange(key, '-', '+')) ?? []).flatMap((entry) => Object.entries(entry.message).flat()));
          else throw new Error(`a ${type} at ${key}: read it too`);
        }
        return values;
      }),
    replace: (from, to) =>
      withClient(async (client) => {
        for (const key of await keysUnder(client, prefix)) {
          const type = await client.type(key);
          if (type === 'string') {
            const value = (await client.get(key)) ?? '';
            if (value.includes(from)) await client.set(key, value.replaceAll(from, to), { KEEPTTL: true });
          } else if (type === 'hash') {
            for (const [field, value] of Object.entries(await client.hGetAll(key))) {
              if (value.includes(from)) await client.hSet(key, field, value.replaceAll(from, to));
            }
          }
        }
      }),
    cleanup: () => deleteKeysUnder(prefix),
  };
}

/** Every string a stored value holds: itself, the strings inside it when it is JSON, and its runs of hex and of base32. */
function candidates(value: string): string[] {
  const found = new Set([value]);
  const walk = (node: unknown): void => {
    if (typeof node === 'string') found.add(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) Object.entries(node).forEach(([key, child]) => (found.add(key), walk(child)));
  };
  try {
    walk(JSON.parse(value));
  } catch {
    // Not JSON: the value as it is, and its runs below.
  }
  for (const run of value.match(/[0-9a-fA-F]{32,}|[A-Z2-7]{16,}/g) ?? []) found.add(run);
  return [...found];
}

/** Whether `key`, taken as Home Assistant takes a jwt_key (its text as bytes), signs the HS256 `jwt`. */
function verifiesHs256(jwt: string, key: string): boolean {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe.each([
  ['sqlite', sqlitePlace],
  ['redis', redisPlace],
] as const)('secrets at rest (%s)', (kind, makePlace) => {
  let place: StorePlace;
  let store: Store | undefined;
  let server: TestServer | undefined;
  const start = async () => {
    store = await place.open();
    server = await startTestServer(kind, undefined, { store });
    return server;
  };
  /** Stops the service and closes the store, as a copy of the store at rest sees it. */
  const stop = async () => {
    await server?.close();
    await store?.close();
    [server, store] = [undefined, undefined];
  };
  beforeEach(() => {
    place = makePlace();
  });
  afterEach(async () => {
    await stop();
    await place.cleanup();
  });

  /** Everything the issue lists, through the service's own API; returns what a thief would want. */
  async function issueEverything(running: TestServer): Promise<Issued> {
    const owner = await onboardOwner(running);
    const login = await logIn(running, 'alice', 'secret-password');
    const exchanged = (await (await exchangeCode(running, login.result ?? '')).json()) as { access_token: string; refresh_token: string };
    const refreshed = await postForm(running, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: exchanged.refresh_token });
    const { access_token: refreshedAccess } = (await refreshed.json()) as { access_token: string };
    const socket = await TestSocket.authenticated(running, owner.access_token);
    try {
      const llat = (await socket.result({ type: 'auth/long_lived_access_token', client_name: 'script', lifespan: 365 })) as string;
      const totpSecret = await setUpTotp(running, socket);
      await socket.result({ type: 'auth/sign_path', path: '/api/states', expires: 60 });
      return { accessTokens: [owner.access_token, exchanged.access_token, refreshedAccess, llat], refreshToken: exchanged.refresh_token, totpSecret };
    } finally {
      socket.close();
    }
  }

  it('holds no value that verifies an issued access token or equals the TOTP secret', async () => {
    const running = await start();
    const issued = await issueEverything(running);
    // The check can see a key: each token verifies with its refresh token's jwt_key, as the service reads it.
    for (const token of issued.accessTokens) {
      const record = await running.store.refreshTokens.load(claimsOf(token).iss as string);
      expect(verifiesHs256(token, (record?.snapshot as { context: { jwtKey: string } }).context.jwtKey)).toBe(true);
    }
    const userId = (await running.store.users.listUsers())[0]?.id ?? '';
    expect(await running.store.mfa.getSecret('totp', userId)).toBe(issued.totpSecret);
    await stop();

    const values = await place.everyValue();
    const everyCandidate = [...new Set(values.flatMap(candidates))];
    expect(values.length).toBeGreaterThan(20);
    const verifying = everyCandidate.filter((candidate) => issued.accessTokens.some((token) => verifiesHs256(token, candidate)));
    expect(verifying).toEqual([]);
    expect(values.filter((value) => value.includes(issued.totpSecret))).toEqual([]);
    // Sealed values are what the store holds instead.
    expect(values.filter((value) => /^sealed:[0-9a-f]{8}:/.test(value)).length).toBeGreaterThan(0);
  });

  it('answers altered ciphertext as it answers an unknown token or a wrong code, never with a 500', async () => {
    const issued = await issueEverything(await start());
    await stop();
    // Every sealed value altered in place (one character of its body), the store's marker too.
    const sealed = new Set((await place.everyValue()).flatMap((value) => value.match(/sealed:[0-9a-f]{8}:[A-Za-z0-9_-]+/g) ?? []));
    expect(sealed.size).toBeGreaterThan(0);
    for (const text of sealed) await place.replace(text, `${text.slice(0, -2)}${text.at(-2) === 'A' ? 'B' : 'A'}${text.slice(-1)}`);

    const running = await start();
    const refresh = await postForm(running, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: issued.refreshToken });
    expect(await jsonOf(refresh)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    for (const token of issued.accessTokens) {
      const api = await fetch(`${running.baseUrl}/api/`, { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(401);
    }
    // TOTP stays on and refuses the right code: a secret nobody can open must not turn MFA off.
    running.clock.now += STEP_MS;
    const flowId = await openFlow(running);
    const credentials = await jsonOf(await submitStep(running, flowId, { username: 'alice', password: 'secret-password' }));
    expect(credentials).toMatchObject({ status: 200, body: { type: 'form', step_id: 'mfa' } });
    const answer = await jsonOf(await submitStep(running, flowId, { code: totpAt(issued.totpSecret, running.clock.now) }));
    expect(answer).toMatchObject({ status: 200, body: { type: 'form', step_id: 'mfa', errors: { base: 'invalid_code' } } });
  });
});
