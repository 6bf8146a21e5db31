/**
 * The bcrypt queue seen from clients (services/providers/password-checks.ts), with one check at a time and one
 * waiting (`password_checks: {concurrency: 1, queue_size: 1}`) and bcrypt's `verify` held at a gate
 * the test opens: the attempts beyond the two get 429 with `Retry-After` at once, in Home Assistant's
 * `{"message": …}` shape, count as no failed login and leave their flow usable; WebSocket commands
 * and onboarding are refused too while the queue is full.
 */
import type * as bcryptModule from '@node-rs/bcrypt';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAuthConfig } from '../../src/auth-config.js';
import { scrape, valueOf } from '../observability/scrape.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { failure } from '../ws/ws-helpers.js';
import { createEntry, initForm, START } from './http-helpers.js';
import { aClientIp, failuresOf } from './ip-ban-helpers.js';
import { onboardOwner, postJson } from '../support/http-client.js';

/** bcrypt's `verify` (password checks, the dummy check of unknown usernames) waits here while the gate is shut. */
const gate = vi.hoisted(() => {
  let open: () => void = () => {};
  const state = { entered: 0, shut: Promise.resolve() };
  return {
    state,
    close() {
      state.shut = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    open: () => open(),
  };
});

vi.mock('@node-rs/bcrypt', async (importOriginal) => {
  const bcrypt = await importOriginal<typeof bcryptModule>();
  return {
    ...bcrypt,
    async verify(...args: Parameters<typeof bcrypt.verify>) {
      gate.state.entered += 1;
      await gate.state.shut;
      return bcrypt.verify(...args);
    },
  };
});

const ALICE = { username: 'alice', password: 'secret-password' };
const FLOW_START = { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI };
const BUSY = { message: 'Too many password checks at once, try again shortly' };
/** A threshold nobody reaches here: failures are counted, nobody is banned. */
const CONFIG = 'http: {ip_ban_enabled: true, login_attempts_threshold: 100}\npassword_checks: {concurrency: 1, queue_size: 1}';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: unknown;
}

const answerOf = async (response: Response): Promise<Answer> => ({
  status: response.status,
  retryAfter: response.headers.get('retry-after'),
  body: await response.json(),
});

async function openFlowFrom(server: TestServer, ip: string): Promise<string> {
  const started = await postJson(server, '/auth/login_flow', FLOW_START, ip);
  return ((await started.json()) as { flow_id: string }).flow_id;
}

const stepFrom = (server: TestServer, ip: string, flowId: string, input: Record<string, unknown>) =>
  postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, ...input }, ip).then(answerOf);

/**
 * Sends wrong passwords on `count` flows at once, known and unknown usernames in turn, with the gate
 * shut; resolves when all but the two the queue takes have been answered. `rest` settles once the
 * gate opens.
 */
async function flood(server: TestServer, ip: string, count: number) {
  const flowIds = await Promise.all(Array.from({ length: count }, () => openFlowFrom(server, ip)));
  gate.close();
  const answered = new Map<string, Answer>();
  const all = flowIds.map(async (flowId, i) => {
    const answer = await stepFrom(server, ip, flowId, { username: i % 2 === 0 ? 'alice' : 'nobody', password: 'wrong' });
    answered.set(flowId, answer);
    return answer;
  });
  await vi.waitFor(() => expect(answered.size).toBe(count - 2), { timeout: 10_000, interval: 10 });
  return { flowIds, early: new Map(answered), rest: Promise.all(all) };
}

describe('the bcrypt queue (1 running, 1 waiting)', () => {
  let server: TestServer;
  beforeEach(async () => {
    gate.state.entered = 0;
    server = await startTestServer('sqlite', START, { trustProxy: ['127.0.0.1'], authConfig: parseAuthConfig(CONFIG, 'test') });
  });
  afterEach(async () => {
    gate.open();
    await server.close();
  });

  it('answers the attempts beyond them 429 at once, counts none as a failed login, and keeps their flows', async () => {
    await onboardOwner(server, ALICE.username, ALICE.password);
    const ip = aClientIp();
    const { flowIds, early, rest } = await flood(server, ip, 6);

    // Only the running check reached bcrypt; the four refused ones never will.
    expect(gate.state.entered).toBe(1);
    expect([...early.values()]).toEqual(Array.from({ length: 4 }, () => ({ status: 429, retryAfter: '1', body: BUSY })));
    expect(await failuresOf(server, ip)).toBe(0);

    gate.open();
    const answers = await rest;
    const processed = flowIds.filter((flowId) => !early.has(flowId));
    expect(processed.map((flowId) => answers[flowIds.indexOf(flowId)])).toEqual(
      processed.map((flowId) => ({ status: 200, retryAfter: null, body: initForm(flowId, { base: 'invalid_auth' }) })),
    );
    expect(gate.state.entered).toBe(2);
    expect(await failuresOf(server, ip)).toBe(2);

    // A refused step can be sent again on the same flow.
    const [refused] = [...early.keys()] as [string];
    expect(await stepFrom(server, ip, refused, ALICE)).toEqual({ status: 200, retryAfter: null, body: createEntry(refused) });

    const samples = await scrape(server);
    expect(valueOf(samples, 'hass_auth_password_checks_refused_total')).toBe(4);
    // The owner's hash at onboarding, the two wrong passwords, the login.
    expect(valueOf(samples, 'hass_auth_password_check_wait_seconds_count')).toBe(4);
    const attempts = (outcome: string) => valueOf(samples, 'hass_auth_login_attempts_total', { outcome });
    expect([attempts('throttled'), attempts('invalid_auth'), attempts('success')]).toEqual([4, 2, 1]);
  });

  it('refuses WebSocket commands that hash or check a password with home_assistant_error, changing nothing', async () => {
    const socket = await TestSocket.authenticated(server, (await onboardOwner(server, ALICE.username, ALICE.password)).access_token);
    const { user } = (await socket.result({ type: 'config/auth/create', name: 'Bob', group_ids: ['system-users'] })) as { user: { id: string } };
    const { rest } = await flood(server, aClientIp(), 3);

    const changed = await socket.command({ type: 'config/auth_provider/homeassistant/change_password', current_password: ALICE.password, new_password: 'new' });
    expect(changed).toEqual(failure(changed.id as number, 'home_assistant_error', BUSY.message));
    const created = await socket.command({ type: 'config/auth_provider/homeassistant/create', user_id: user.id, username: 'bob', password: 'pw' });
    expect(created).toEqual(failure(created.id as number, 'home_assistant_error', BUSY.message));
    expect((await server.store.users.listPasswords()).map((entry) => entry.username)).toEqual(['alice']);

    gate.open();
    await rest;
    expect(await socket.command({ type: 'config/auth_provider/homeassistant/create', user_id: user.id, username: 'bob', password: 'pw' })).toMatchObject({
      success: true,
    });
    socket.close();
  });

  it('refuses onboarding with 429 and leaves no owner behind, so that it can be done again', async () => {
    const { rest } = await flood(server, aClientIp(), 3);
    const owner = { name: 'Alice', ...ALICE, client_id: CLIENT_ID, language: 'en' };
    expect(await answerOf(await postJson(server, '/api/onboarding/users', owner, aClientIp()))).toEqual({
      status: 429,
      retryAfter: '1',
      body: BUSY,
    });
    expect(await server.store.users.listUsers()).toEqual([]);

    gate.open();
    await rest;
    expect((await postJson(server, '/api/onboarding/users', owner, aClientIp())).status).toBe(200);
  });
});
