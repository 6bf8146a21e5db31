/**
 * Secrets at rest (issue 18), end to end on both stores: after onboarding, a login, code exchanges, a
 * refresh, a long-lived access token, TOTP set up and a signed path, every value the store holds
 * (Redis: every key under the prefix, by type; SQLite: every column of every row of every table) is
 * tried as the HS256 key of each access token the service issued, and compared with the TOTP
 * secret: none verifies, none holds it. Then altered ciphertext: the service refuses the token and
 * the code as it would unknown ones, never with a 500.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { ReadableStore } from '../../src/stores/store-contents.js';
import { setUpTotp, STEP_MS, totpAt } from '../support/mfa.js';
import { candidateKeys, redisReplaceStored, redisStoredValues, sqliteReplaceStored, sqliteStoredValues, verifiesHs256 } from '../support/stored-values.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { deleteKeysUnder, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { makeTempDir } from '../stores/sqlite-harness.js';
import { claimsOf } from '../ws/ws-helpers.js';
import { jsonOf, openFlow, submitStep } from './http-helpers.js';
import { exchangeCode, logIn, onboardOwner, postForm } from '../support/http-client.js';

interface Issued {
  accessTokens: string[];
  refreshToken: string;
  totpSecret: string;
}

/** A store at a place the test can read around the service, opened again on the same data. */
interface StorePlace {
  open(): Promise<ReadableStore>;
  /** Every value stored, as text (support/stored-values.ts); the store must be closed. */
  everyValue(): Promise<string[]>;
  /** Replaces `from` with `to` wherever stored; the store must be closed. */
  replace(from: string, to: string): Promise<void>;
  cleanup(): Promise<void>;
}

function sqlitePlace(): StorePlace {
  const temp = makeTempDir();
  return {
    // The store's own key, in its key file: what an embedded deployment runs with.
    open: async () => openSqliteStore({ dataDir: temp.dir }),
    everyValue: async () => sqliteStoredValues(temp.dir),
    replace: async (from, to) => sqliteReplaceStored(temp.dir, from, to),
    cleanup: async () => temp.remove(),
  };
}

function redisPlace(): StorePlace {
  const prefix = uniquePrefix();
  return {
    open: () => openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() }),
    everyValue: () => redisStoredValues(prefix),
    replace: (from, to) => redisReplaceStored(prefix, from, to),
    cleanup: () => deleteKeysUnder(prefix),
  };
}

describe.each([
  ['sqlite', sqlitePlace],
  ['redis', redisPlace],
] as const)('secrets at rest (%s)', (kind, makePlace) => {
  let place: StorePlace;
  let store: ReadableStore | undefined;
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
    const everyCandidate = candidateKeys(values);
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
