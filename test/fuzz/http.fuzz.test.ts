/**
 * Property-based fuzzing of every HTTP route against the real server, on both stores and on Redis
 * Cluster (issue 7 item 6, issue 15): requests from http-arbitraries.ts, mostly well-formed and carrying real values of a set-up
 * owner, must each get an answer in Home Assistant's shapes and never a 500 (answers.ts); afterwards
 * the server still answers and the store holds nothing inconsistent (checkStoreInvariants). fast-check
 * shrinks a failure to a smallest request and prints it with the seed (FUZZ_SEED, FUZZ_RUNS:
 * fuzz-settings.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { theOwner } from '../http/token-client.js';
import { checkStoreInvariants } from '../support/store-invariants.js';
import type { TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { answerProblems, errorLog, loggedProblems } from './answers.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-settings.js';
import { ROUTES } from './http-arbitraries.js';
import { toFetch } from './http-request.js';
import { RealValues } from './real-values.js';
import { onboardOwner } from '../support/http-client.js';
import { clusterForFile, startServerOn, type ServerStoreKind } from '../support/file-cluster.js';

const RUNS_PER_ROUTE = 50;

/** Redis again as a cluster of three masters: its buckets and directory slot (src/stores/redis/keys.ts). */
const cluster = clusterForFile();

describe.each<ServerStoreKind>(['sqlite', 'redis', 'redis-cluster'])('HTTP fuzzing (%s)', (kind) => {
  let server: TestServer;
  let reals: RealValues;
  const log = errorLog();
  /** `<route> <status>` of every answer, to show that the runs got past the parsers. */
  const answered = new Set<string>();

  beforeAll(async () => {
    server = await startServerOn(kind, cluster, { logger: log.logger });
    const { access_token: accessToken } = await onboardOwner(server);
    const socket = await TestSocket.authenticated(server, accessToken);
    // The longest a signed path may live (a day here): the fake clock does not move during the run.
    const { path } = (await socket.result({ type: 'auth/sign_path', path: '/api/', expires: 86_400 })) as { path: string };
    socket.close();
    const signedApiPath = new URL(path, server.baseUrl).searchParams.get('authSig') as string;
    reals = new RealValues(server, { userId: (await theOwner(server)).id, signedApiPath });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(Object.keys(ROUTES))('%s: never a 500, always Home Assistant\'s error shapes', async (route) => {
    const property = fc.asyncProperty(ROUTES[route] as (typeof ROUTES)[string], async (request) => {
      const sent = await toFetch(server.baseUrl, request, reals.forRequest());
      log.take();
      const response = await fetch(sent.url, sent.init);
      const answer = { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() };
      answered.add(`${route} ${answer.status}`);
      const problems = [...answerProblems({ method: request.method, path: new URL(sent.url).pathname }, answer), ...loggedProblems(log.take())];
      expect(problems, `${request.method} ${sent.url.slice(0, 300)} → ${answer.status} ${answer.body.slice(0, 300)}`).toEqual([]);
    });
    await fc.assert(property, fuzzParameters(RUNS_PER_ROUTE));
  }, fuzzTimeout(RUNS_PER_ROUTE, 500));

  it('never answers 500 to requests that race on the same codes, tokens and flows', async () => {
    // One resolver for the batch: its requests carry the same real values, and go all at once.
    const racing = ['POST /auth/token', 'POST /auth/revoke', 'POST /auth/login_flow/{flow_id}', 'GET|DELETE /auth/login_flow/{flow_id}', 'POST /auth/link_user', 'GET /api/ (Bearer, authSig)'];
    const batch = fc.array(fc.oneof(...racing.map((route) => ROUTES[route] as (typeof ROUTES)[string])), { minLength: 2, maxLength: 6 });
    const property = fc.asyncProperty(batch, async (requests) => {
      const resolve = reals.forRequest();
      const sent = await Promise.all(requests.map((request) => toFetch(server.baseUrl, request, resolve)));
      log.take();
      const answers = await Promise.all(
        sent.map(async ({ url, init }) => {
          const response = await fetch(url, init);
          return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() };
        }),
      );
      const logged = log.take();
      const problems = answers.flatMap((answer, index) => answerProblems({ method: requests[index]?.method ?? '', path: new URL(sent[index]?.url ?? '').pathname }, answer));
      expect([...problems, ...loggedProblems(logged)], JSON.stringify(answers.map(({ status, body }) => `${status} ${body.slice(0, 100)}`))).toEqual([]);
    });
    await fc.assert(property, fuzzParameters(RUNS_PER_ROUTE));
  }, fuzzTimeout(RUNS_PER_ROUTE, 1000));

  it('still answers, and leaves a store in which every record and index entry is consistent', async () => {
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    expect(await checkStoreInvariants(server.store)).toEqual([]);
    // The requests reached the deep paths: real codes exchanged, tokens refreshed and used, flows
    // started and stepped; and the checker had grants, tokens and flows to walk.
    for (const route of ['POST /auth/token', 'POST /auth/revoke', 'POST /auth/login_flow', 'POST /auth/login_flow/{flow_id}', 'GET /api/ (Bearer, authSig)']) {
      expect(answered).toContain(`${route} 200`);
    }
    const { records } = await server.store.readContents();
    expect([records.loginGrant.length, records.refreshToken.length, records.loginFlow.length].every((n) => n > 0)).toBe(true);
  });
});
