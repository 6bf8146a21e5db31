/**
 * The peer of `npm run bench`'s `peer` scenario (bench/oidc-peer*.ts) in its own processes, as the
 * bench runs it, on the shared Redis under a prefix of its own: refresh tokens seeded through the
 * provider's models pass its refresh grant with rotation off and on, and the bench's token pool
 * (bench/load.ts `tokenPool`) keeps presenting the newest token under rotation. About a second of
 * load and no timing assertions: what is checked is that the comparison measures working requests.
 */
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenPool } from '../../bench/load.js';
import { openPeer, PEER_CLIENT_ID, seedPeerRefreshTokens, type Peer } from '../../bench/oidc-peer.js';
import { formBody } from '../../bench/seeding.js';
import { deleteKeysUnder, REDIS_URL, uniquePrefix } from '../stores/redis-harness.js';
import { startService, type ServiceProcess } from '../support/service-process.js';

const prefix = uniquePrefix();
let fixed: ServiceProcess;
let rotating: ServiceProcess;
let seeder: Peer;

const refreshBody = (token: string) => formBody({ grant_type: 'refresh_token', client_id: PEER_CLIENT_ID, refresh_token: token });

async function refresh(peer: ServiceProcess, token: string): Promise<{ status: number; answer: Record<string, unknown> }> {
  const response = await fetch(`${peer.baseUrl}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: refreshBody(token) });
  return { status: response.status, answer: (await response.json()) as Record<string, unknown> };
}

const seed = async () => (await seedPeerRefreshTokens(seeder.provider, 1))[0] as string;

beforeAll(async () => {
  const env = { REDIS_URL, PEER_KEY_PREFIX: prefix };
  [fixed, rotating] = await Promise.all([
    startService({ ...env, PEER_ROTATION: 'off' }, { entry: 'bench/oidc-peer-server.ts' }),
    startService({ ...env, PEER_ROTATION: 'on' }, { entry: 'bench/oidc-peer-server.ts' }),
  ]);
  seeder = await openPeer({ redisUrl: REDIS_URL, keyPrefix: prefix, rotateRefreshToken: false });
});

afterAll(async () => {
  await Promise.all([fixed?.stop(), rotating?.stop()]);
  await seeder?.close();
  await deleteKeysUnder(prefix);
});

describe('node-oidc-provider as the bench runs it', () => {
  it('answers a seeded refresh token with an access token and, without rotation, the same refresh token', async () => {
    const token = await seed();
    for (let use = 0; use < 2; use++) {
      const { status, answer } = await refresh(fixed, token);
      expect(status).toBe(200);
      expect(answer).toMatchObject({ token_type: 'Bearer', refresh_token: token, scope: 'offline_access' });
      expect(answer.access_token).toEqual(expect.any(String));
      expect(answer).not.toHaveProperty('id_token');
    }
  });

  it('with rotation, answers a new refresh token each time and refuses the spent one', async () => {
    const first = await seed();
    const once = await refresh(rotating, first);
    expect(once.status).toBe(200);
    const second = once.answer.refresh_token as string;
    expect(second).toEqual(expect.any(String));
    expect(second).not.toBe(first);
    const twice = await refresh(rotating, second);
    expect(twice.status).toBe(200);
    expect(twice.answer.access_token).toEqual(expect.any(String));
    expect(await refresh(rotating, first)).toMatchObject({ status: 400, answer: { error: 'invalid_grant' } });
  });

  it('under load with rotation, the token pool presents each connection the newest token: every answer 200', async () => {
    const connections = 5;
    const pool = tokenPool(rotating.baseUrl, '/token', refreshBody);
    pool.refill(await seedPeerRefreshTokens(seeder.provider, connections));
    const result = await autocannon({ ...pool.target, connections, duration: 1 });
    expect(result.errors).toBe(0);
    expect(result.non2xx).toBe(0);
    // Over twice as many answers as tokens: tokens handed out by rotation were presented in turn, all accepted.
    expect(result.requests.total).toBeGreaterThan(connections * 2);
  });
});
