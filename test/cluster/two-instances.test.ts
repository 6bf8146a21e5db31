/**
 * Two real service processes on one Redis, as replicas behind a load balancer (ARCHITECTURE.md,
 * "No instance owns state"): whatever one instance starts — onboarding, a login flow, a code, a
 * refresh token — the other continues, and every once-only rule holds across both. Plain HTTP only.
 * The same again on a loopback Redis Cluster of three masters with a replica each
 * (`REDIS_CLUSTER_NODES`, test/support/redis-cluster.ts), where the records spread over the masters.
 *
 * bcrypt runs at its real cost (12, about 0.3 s per password check here), so the tests spend few
 * password checks: codes come from one login flow each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { READY_TIMEOUT_MS } from '../support/service-process.js';
import { getWithBearer, postJsonFrom, startCluster, type Cluster, type Instance } from './instances.js';
import { postForm, postJson, startFlow } from '../support/http-client.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';

const OWNER = { name: 'Alice', username: 'alice', password: 'correct horse battery staple', language: 'en' };
const INVALID_CODE = { error: 'invalid_request', error_description: 'Invalid code' };
const HANDLER = ['homeassistant', null];
/** Tests that check several passwords get room for a loaded machine (about 0.3 s each when idle). */
const PASSWORD_TEST_TIMEOUT_MS = 40_000;

interface Tokens {
  access_token: string;
  token_type: string;
  refresh_token: string;
  expires_in: number;
  ha_auth_provider: string;
}

interface FlowStep {
  type: string;
  flow_id: string;
  step_id?: string;
  errors?: Record<string, string> | null;
  result?: string;
}

async function openFlow(instance: Instance): Promise<string> {
  const started = await startFlow(instance, { handler: HANDLER });
  const step = (await started.json()) as FlowStep;
  expect([started.status, step.type, step.step_id]).toEqual([200, 'form', 'init']);
  return step.flow_id;
}

async function submit(instance: Instance, flowId: string, password: string, username = OWNER.username) {
  const response = await postJson(instance, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, username, password });
  return { status: response.status, step: (await response.json()) as FlowStep };
}

/** A fresh code: one login flow, started on `starter` and finished on `finisher`. */
async function freshCode(starter: Instance, finisher: Instance): Promise<string> {
  const done = await submit(finisher, await openFlow(starter), OWNER.password);
  expect([done.status, done.step.type]).toEqual([200, 'create_entry']);
  expect(done.step.result).toMatch(/^[0-9a-f]{32}$/);
  return done.step.result ?? '';
}

const exchange = (instance: Instance, code: string) =>
  postForm(instance, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code });

const refresh = (instance: Instance, refreshToken: string) =>
  postForm(instance, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: refreshToken });

async function tokensFrom(response: Response): Promise<Tokens> {
  expect(response.status).toBe(200);
  const tokens = (await response.json()) as Tokens;
  expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 1800, ha_auth_provider: 'homeassistant' });
  expect(tokens.refresh_token).toMatch(/^[0-9a-f]{128}$/);
  return tokens;
}

async function userStepDone(instance: Instance): Promise<boolean | undefined> {
  const response = await fetch(`${instance.baseUrl}/api/onboarding`);
  expect(response.status).toBe(200);
  const steps = (await response.json()) as Array<{ step: string; done: boolean }>;
  return steps.find((step) => step.step === 'user')?.done;
}

const onboard = (instance: Instance, username: string) => postJson(instance, '/api/onboarding/users', { ...OWNER, username, client_id: CLIENT_ID });

function describeAcrossInstances(where: string, topology: Topology): void {
  describe(where, () => {
    /** Two instances for the whole file (onboarded by the first test), two more for the onboarding race. */
    let cluster: Cluster | undefined;
    let raceCluster: Cluster | undefined;
    let a: Instance;
    let b: Instance;

    beforeAll(async () => {
      const env = await topology.start();
      const [main, race] = await Promise.allSettled([startCluster(['A', 'B'], env), startCluster(['A2', 'B2'], env)]);
      // Keep whichever started, so that afterAll stops it even when the other did not.
      if (main.status === 'fulfilled') cluster = main.value;
      if (race.status === 'fulfilled') raceCluster = race.value;
      if (main.status === 'rejected') throw main.reason;
      if (race.status === 'rejected') throw race.reason;
      [a, b] = main.value.instances as [Instance, Instance];
    }, READY_TIMEOUT_MS + 15_000);

    afterAll(async () => {
      await Promise.all([cluster?.close(), raceCluster?.close()]);
      await topology.stop();
    }, 30_000);

    describe('onboarding across instances', () => {
      it('creates the owner on A, exchanges its code on B, and then both refuse another owner', async () => {
        expect([await userStepDone(a), await userStepDone(b)]).toEqual([false, false]);
        const onboarded = await onboard(a, OWNER.username);
        expect(onboarded.status).toBe(200);
        const { auth_code: code } = (await onboarded.json()) as { auth_code: string };
        expect(code).toMatch(/^[0-9a-f]{32}$/);

        const tokens = await tokensFrom(await exchange(b, code));
        expect((await getWithBearer(a, '/api/', tokens.access_token)).status).toBe(200);

        expect([await userStepDone(a), await userStepDone(b)]).toEqual([true, true]);
        for (const instance of [a, b]) {
          const again = await onboard(instance, 'mallory');
          expect(again.status).toBe(403);
          expect(await again.json()).toEqual({ message: 'User step already done' });
        }
      }, PASSWORD_TEST_TIMEOUT_MS);

      it('lets exactly one of several onboardings racing on both instances create the owner', async () => {
        if (raceCluster === undefined) throw new Error('no race cluster');
        const [a2, b2] = raceCluster.instances as [Instance, Instance];
        // Four per instance rather than one: more overlap between "is there an owner?" and "create it".
        const usernames = Array.from({ length: 8 }, (_, i) => `racer${i}`);
        const responses = await Promise.all(usernames.map((username, i) => onboard(i % 2 === 0 ? a2 : b2, username)));
        const bodies = (await Promise.all(responses.map((response) => response.json()))) as Array<{ auth_code?: string; message?: string }>;
        const winners = responses.flatMap((response, i) => (response.status === 200 ? [i] : []));
        expect(winners).toHaveLength(1);
        const winner = winners[0] ?? -1;
        bodies.forEach((body, i) => {
          if (i !== winner) expect([responses[i]?.status, body]).toEqual([403, { message: 'User step already done' }]);
        });

        // The owner's code works on the instance that did not create it; both see the step done.
        const code = bodies[winner]?.auth_code ?? '';
        await tokensFrom(await exchange(winner % 2 === 0 ? b2 : a2, code));
        expect([await userStepDone(a2), await userStepDone(b2)]).toEqual([true, true]);
        // A loser left nothing behind: its username has no password.
        const loser = usernames[(winner + 1) % usernames.length] ?? '';
        const flow = await postJson(a2, '/auth/login_flow', { client_id: CLIENT_ID, handler: HANDLER, redirect_uri: REDIRECT_URI });
        const { flow_id: flowId } = (await flow.json()) as FlowStep;
        const attempt = await postJson(b2, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, username: loser, password: OWNER.password });
        expect((await attempt.json()) as FlowStep).toMatchObject({ type: 'form', errors: { base: 'invalid_auth' } });
      }, PASSWORD_TEST_TIMEOUT_MS);
    });

    describe('logging in across instances', () => {
      it('continues a flow on either instance, and a token revoked on B is dead on A', async () => {
        const flowId = await openFlow(a);
        const wrong = await submit(b, flowId, 'not the password');
        expect(wrong.status).toBe(200);
        expect(wrong.step).toMatchObject({ type: 'form', flow_id: flowId, step_id: 'init', errors: { base: 'invalid_auth' } });
        const right = await submit(a, flowId, OWNER.password);
        expect(right.status).toBe(200);
        expect(right.step).toMatchObject({ type: 'create_entry', flow_id: flowId });

        const tokens = await tokensFrom(await exchange(b, right.step.result ?? ''));
        const refreshed = await refresh(a, tokens.refresh_token);
        expect(refreshed.status).toBe(200);
        const { access_token: second } = (await refreshed.json()) as Tokens;
        for (const [instance, accessToken] of [[a, tokens.access_token], [b, tokens.access_token], [a, second], [b, second]] as const) {
          const api = await getWithBearer(instance, '/api/', accessToken);
          expect([instance.name, api.status, await api.json()]).toEqual([instance.name, 200, { message: 'API running.' }]);
        }

        const revoked = await postForm(b, '/auth/revoke', { token: tokens.refresh_token });
        expect([revoked.status, await revoked.text()]).toEqual([200, '']);
        const again = await refresh(a, tokens.refresh_token);
        expect([again.status, await again.json()]).toEqual([400, { error: 'invalid_grant' }]);
        for (const instance of [a, b]) {
          const api = await getWithBearer(instance, '/api/', second);
          expect([instance.name, api.status, await api.text()]).toEqual([instance.name, 401, '401: Unauthorized']);
        }
      }, PASSWORD_TEST_TIMEOUT_MS);

      it('lets one of 20 simultaneous redemptions of a code win, and then revokes what it won (RFC 6749 §4.1.2)', async () => {
        for (let round = 1; round <= 3; round += 1) {
          const code = await freshCode(a, b);
          const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => exchange(i % 2 === 0 ? a : b, code)));
          const bodies = (await Promise.all(responses.map((response) => response.json()))) as Array<Partial<Tokens>>;
          const statuses = responses.map((response) => response.status);
          const tally: Record<string, number> = {};
          bodies.forEach((body, i) => {
            const outcome = statuses[i] === 200 ? '200 tokens' : `${statuses[i]} ${JSON.stringify(body)}`;
            tally[outcome] = (tally[outcome] ?? 0) + 1;
          });
          expect({ round, tally }).toEqual({ round, tally: { '200 tokens': 1, [`400 ${JSON.stringify(INVALID_CODE)}`]: 19 } });

          const won = bodies[statuses.indexOf(200)] ?? {};
          expect(won.refresh_token).toMatch(/^[0-9a-f]{128}$/);
          const reused = await refresh(a, won.refresh_token ?? '');
          expect({ round, status: reused.status, body: await reused.json() }).toEqual({ round, status: 400, body: { error: 'invalid_grant' } });
          expect((await getWithBearer(b, '/api/', won.access_token ?? '')).status).toBe(401);
        }
      }, PASSWORD_TEST_TIMEOUT_MS);

      it('binds a flow to the IP that started it, on every instance', async () => {
        // Started from 127.0.0.1 on A: another address is refused on either instance, and the flow is kept.
        const flowId = await openFlow(a);
        const step = { client_id: CLIENT_ID, username: OWNER.username, password: OWNER.password };
        for (const instance of [a, b]) {
          const moved = await postJsonFrom('127.0.0.2', instance, `/auth/login_flow/${flowId}`, step);
          expect([instance.name, moved]).toEqual([instance.name, { status: 400, body: { message: 'IP address changed' } }]);
        }
        const done = await submit(b, flowId, OWNER.password);
        expect([done.status, done.step.type]).toEqual([200, 'create_entry']);
        await tokensFrom(await exchange(a, done.step.result ?? ''));

        // The binding is to the starting address, not to 127.0.0.1: started from 127.0.0.2 on B, 127.0.0.1 on A is refused.
        const started = await postJsonFrom('127.0.0.2', b, '/auth/login_flow', { client_id: CLIENT_ID, handler: HANDLER, redirect_uri: REDIRECT_URI });
        expect(started.status).toBe(200);
        const otherFlowId = (started.body as FlowStep).flow_id;
        const fromLoopback = await postJson(a, `/auth/login_flow/${otherFlowId}`, step);
        expect([fromLoopback.status, await fromLoopback.json()]).toEqual([400, { message: 'IP address changed' }]);
      }, PASSWORD_TEST_TIMEOUT_MS);
    });
  });
}


/** Where the instances keep their store: the environment they get, and what stops it afterwards. */
interface Topology {
  start(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** The shared Redis (instances.ts gives each pair a prefix of its own on it). */
const oneRedis: Topology = { start: async () => ({}), stop: async () => undefined };

function redisCluster(): Topology {
  let made: RedisCluster | undefined;
  return {
    async start() {
      made = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
      // An empty REDIS_URL counts as unset: the cluster, not the shared Redis.
      return { REDIS_URL: '', REDIS_CLUSTER_NODES: made.urls.join(',') };
    },
    stop: async () => made?.stop(),
  };
}

describeAcrossInstances('on one Redis', oneRedis);
describeAcrossInstances('on a Redis Cluster', redisCluster());
