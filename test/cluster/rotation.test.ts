/**
 * Rotation across two real service processes on one Redis (issue: "atomic across instances"): five
 * refreshes racing with one token through both instances leave exactly one usable successor, fifty
 * times over; reuse after the grace window, presented to one instance, closes a socket held on the
 * other; and a Home Assistant client (no policy) keeps its one refresh token beside them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/domain/ids.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { restoreSnapshot } from '../../src/stores/envelope.js';
import { REDIS_URL, testSealer } from '../stores/redis-harness.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { postForm, postJson, startCluster, type Cluster, type Instance } from './instances.js';

const ROTATING = 'https://app.example/';
/** Grace 0: any second presentation of a redeemed token is reuse. */
const STRICT = 'https://strict.example/';
const OWNER = { name: 'Alice', username: 'alice', password: 'correct horse battery staple', language: 'en' };

let cluster: Cluster | undefined;
let a: Instance;
let b: Instance;
let store: Store;
let configDir: string;
let firstRefreshToken: string;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

async function tokensFor(instance: Instance, clientId: string): Promise<Tokens> {
  const started = await postJson(instance, '/auth/login_flow', { client_id: clientId, handler: ['homeassistant', null], redirect_uri: `${clientId}cb` });
  const { flow_id: flowId } = (await started.json()) as { flow_id: string };
  const done = await postJson(instance, `/auth/login_flow/${flowId}`, { client_id: clientId, username: OWNER.username, password: OWNER.password });
  const { result: code } = (await done.json()) as { result: string };
  return (await (await postForm(instance, '/auth/token', { grant_type: 'authorization_code', client_id: clientId, code })).json()) as Tokens;
}

const refresh = (instance: Instance, refreshToken: string, clientId = ROTATING) =>
  postForm(instance, '/auth/token', { grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken });

/** The state of the token whose secret this is, read from the shared store. */
async function stateOf(secret: string): Promise<string | null> {
  const id = await store.refreshTokens.findIdByTokenHash(sha256Hex(secret));
  const envelope = id === null ? null : await store.refreshTokens.load(id);
  if (envelope === null) return null;
  const restored = restoreSnapshot('refreshToken', envelope);
  return restored.ok ? String(restored.snapshot.value) : null;
}

/** How many tokens of the family are usable (`issued`), over every token of the user. */
async function usableInFamily(familyId: string, userId: string): Promise<number> {
  let usable = 0;
  for (const { envelope } of await store.refreshTokens.listByUser(userId)) {
    const restored = restoreSnapshot('refreshToken', envelope);
    if (restored.ok && restored.snapshot.value === 'issued' && restored.snapshot.context.family?.id === familyId) usable += 1;
  }
  return usable;
}

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'hass-auth-rotation-'));
  const configFile = join(configDir, 'auth.yaml');
  writeFileSync(
    configFile,
    `clients:\n  "${ROTATING}": {refresh_token_rotation: true, grace_period: 60}\n  "${STRICT}": {refresh_token_rotation: true, grace_period: 0}\n`,
  );
  cluster = await startCluster(['A', 'B'], { CONFIG_FILE: configFile });
  [a, b] = cluster.instances as [Instance, Instance];
  store = await openRedisStore({ url: REDIS_URL, keyPrefix: cluster.prefix, sealer: testSealer() });
  const onboarded = await postJson(a, '/api/onboarding/users', { ...OWNER, client_id: ROTATING });
  const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
  const tokens = (await (await postForm(a, '/auth/token', { grant_type: 'authorization_code', client_id: ROTATING, code })).json()) as Tokens;
  firstRefreshToken = tokens.refresh_token;
}, READY_TIMEOUT_MS * 2);

afterAll(async () => {
  await store?.close();
  await cluster?.close();
  rmSync(configDir, { recursive: true, force: true });
});

describe('rotation on two instances', () => {
  it('leaves exactly one usable successor after five racing refreshes, fifty times', async () => {
    const id = await store.refreshTokens.findIdByTokenHash(sha256Hex(firstRefreshToken));
    const first = id === null ? null : restoreSnapshot('refreshToken', (await store.refreshTokens.load(id)) ?? { machine: 'refreshToken', v: 0, rev: 0, snapshot: null });
    if (first === null || !first.ok) throw new Error('no first token');
    const { userId, family } = first.snapshot.context;
    if (family === null) throw new Error('the first token of a rotating client starts a family');
    let current = firstRefreshToken;
    for (let round = 1; round <= 50; round++) {
      const answers = await Promise.all([a, b, a, b, a].map((instance) => refresh(instance, current)));
      const secrets: string[] = [];
      for (const answer of answers) {
        expect(answer.status, `round ${round}`).toBe(200);
        secrets.push(((await answer.json()) as Tokens).refresh_token);
      }
      const states = await Promise.all(secrets.map(stateOf));
      expect(states.filter((state) => state === 'issued'), `round ${round}: ${states.join(', ')}`).toHaveLength(1);
      expect(await usableInFamily(family.id, userId), `round ${round}`).toBe(1);
      current = secrets[states.indexOf('issued')] ?? '';
    }
  }, 120_000);

  it('catches reuse presented to one instance and closes the family\'s socket on the other', async () => {
    const first = await tokensFor(a, STRICT);
    const next = (await (await refresh(a, first.refresh_token, STRICT)).json()) as Tokens & { refresh_token: string };
    const socket = await TestSocket.authenticated(a, next.access_token);
    const sent = performance.now();
    const reused = await refresh(b, first.refresh_token, STRICT);
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({ error: 'invalid_grant' });
    await socket.closedWithin(5000);
    expect((socket.closedAt ?? Infinity) - sent).toBeLessThan(1000);
    expect((await refresh(b, next.refresh_token, STRICT)).status).toBe(400);
  }, 30_000);

  it('keeps a Home Assistant client\'s one refresh token working beside them', async () => {
    const ha = await tokensFor(b, CLIENT_ID.replace(/\/$/, '/'));
    for (const instance of [a, b, a]) {
      const answer = await postForm(instance, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: ha.refresh_token });
      expect(answer.status).toBe(200);
      expect(Object.keys((await answer.json()) as object)).toEqual(['access_token', 'token_type', 'expires_in']);
    }
    expect(REDIRECT_URI).toContain(CLIENT_ID);
  }, 30_000);
});
