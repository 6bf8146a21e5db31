/**
 * Rotation across two real service processes on one Redis (issues 5 and 17): fifty refreshes racing
 * with one token through both instances all get the same successor, with access tokens that work,
 * and leave exactly one live token in the family, twenty times over; a presentation after the grace
 * window ends the family; reuse presented to one instance closes a socket held on the other; and a
 * Home Assistant client (no policy) keeps its one refresh token beside them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/domain/ids.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import type { RefreshTokenContext, RefreshTokenFamily } from '../../machines/refresh-token.js';
import { restoreSnapshot } from '../../src/stores/envelope.js';
import { REDIS_URL, testSealer } from '../stores/redis-harness.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { getWithBearer, startCluster, type Cluster, type Instance } from './instances.js';
import { postForm, postJson } from '../support/http-client.js';

const ROTATING = 'https://app.example/';
/** Grace 0: any second presentation of a redeemed token is reuse. */
const STRICT = 'https://strict.example/';
/** Grace 1 s: short enough for a test to see the window close on the instances' real clocks. */
const BRIEF = 'https://brief.example/';
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

/** The context of the token whose secret this is, read from the shared store. */
async function contextOf(secret: string): Promise<RefreshTokenContext & { family: RefreshTokenFamily }> {
  const id = await store.refreshTokens.findIdByTokenHash(sha256Hex(secret));
  const envelope = id === null ? null : await store.refreshTokens.load(id);
  const restored = envelope === null ? null : restoreSnapshot('refreshToken', envelope);
  if (restored === null || !restored.ok) throw new Error('no such token');
  const { context } = restored.snapshot;
  if (context.family === null) throw new Error('a token of a rotating client belongs to a family');
  return { ...context, family: context.family };
}

/** The ids of the family's live tokens (`issued`), over every token of the user. */
async function liveInFamily(familyId: string, userId: string): Promise<string[]> {
  const live: string[] = [];
  for (const { id, envelope } of await store.refreshTokens.listByUser(userId)) {
    const restored = restoreSnapshot('refreshToken', envelope);
    if (restored.ok && restored.snapshot.value === 'issued' && restored.snapshot.context.family?.id === familyId) live.push(id);
  }
  return live;
}

const apiStatus = async (instance: Instance, accessToken: string) => (await getWithBearer(instance, '/api/', accessToken)).status;

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'hass-auth-rotation-'));
  const configFile = join(configDir, 'auth.yaml');
  writeFileSync(
    configFile,
    `clients:\n  "${ROTATING}": {refresh_token_rotation: true, grace_period: 60}\n  "${STRICT}": {refresh_token_rotation: true, grace_period: 0}\n  "${BRIEF}": {refresh_token_rotation: true, grace_period: 1}\n`,
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
  it('answers fifty racing refreshes through both instances with one successor, twenty times', async () => {
    const { userId, family } = await contextOf(firstRefreshToken);
    let current = firstRefreshToken;
    for (let round = 1; round <= 20; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => refresh(i % 2 === 0 ? a : b, current)));
      const granted: Tokens[] = [];
      for (const answer of answers) {
        // A 503 (too many racing writes) may happen; it must leave nothing behind (checked below).
        expect([200, 503], `round ${round}`).toContain(answer.status);
        if (answer.status === 200) granted.push((await answer.json()) as Tokens);
      }
      expect(granted.length, `round ${round}`).toBeGreaterThan(0);
      expect(new Set(granted.map((tokens) => tokens.refresh_token)).size, `round ${round}`).toBe(1);
      const working = await Promise.all(granted.map((tokens, i) => apiStatus(i % 2 === 0 ? a : b, tokens.access_token)));
      expect(working.every((status) => status === 200), `round ${round}: ${working.join(', ')}`).toBe(true);
      expect(await liveInFamily(family.id, userId), `round ${round}`).toEqual([(await contextOf(granted[0]?.refresh_token ?? '')).id]);
      current = granted[0]?.refresh_token ?? '';
    }
  }, 240_000);

  it('takes a presentation after the grace window as reuse, ending the family', async () => {
    const first = await tokensFor(b, BRIEF);
    const next = (await (await refresh(a, first.refresh_token, BRIEF)).json()) as Tokens;
    const { userId, family, graceUntil } = await contextOf(first.refresh_token);
    expect(await liveInFamily(family.id, userId)).toHaveLength(1);
    // The instances keep real time: wait for the one-second window to close.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (graceUntil ?? 0) - Date.now()) + 50));
    expect((await refresh(b, first.refresh_token, BRIEF)).status).toBe(400);
    expect(await liveInFamily(family.id, userId)).toEqual([]);
    expect((await refresh(a, next.refresh_token, BRIEF)).status).toBe(400);
  }, 30_000);

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
