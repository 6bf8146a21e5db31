/**
 * The inspection commands (`inspect/*`, src/ws/commands/inspect.ts) on both stores: what the page
 * draws and counts, one record with its history, one user's tokens and history, live counts by
 * subscription; refused to anyone but owners and administrators, and never a secret in any answer.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { machines, type MachineName } from '../../machines/index.js';
import { sha256Hex } from '../../src/domain/ids.js';
import { COUNT_POLL_MS } from '../../src/services/inspection/record-counts.js';
import type { SvgElement } from '../../src/observability/machine-svg.js';
import { openFlow, submitStep } from '../http/http-helpers.js';
import { startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { deleteKeysUnder, REDIS_URL, testSealer, uniquePrefix } from '../stores/redis-harness.js';
import { TestSocket, type Message } from '../support/ws-client.js';
import { aLoggedInUser, claimsOf, failure, success } from './ws-helpers.js';
import { exchangeCode, onboardOwner, postForm } from '../support/http-client.js';

type Counts = Record<MachineName, Record<string, number>>;

const PASSWORD = 'secret-password';

/** Every id of an element in the tree. */
function idsIn(node: SvgElement | string): string[] {
  if (typeof node === 'string') return [];
  return [...(node.attributes.id === undefined ? [] : [node.attributes.id]), ...node.children.flatMap(idsIn)];
}

/** A login through the flow, up to tokens: the flow id, the code, the tokens. */
async function logInThroughFlow(server: TestServer) {
  const flowId = await openFlow(server);
  const done = (await (await submitStep(server, flowId, { username: 'alice', password: PASSWORD })).json()) as { result: string };
  const tokens = (await (await exchangeCode(server, done.result)).json()) as { access_token: string; refresh_token: string };
  return { flowId, code: done.result, tokens, tokenId: claimsOf(tokens.access_token).iss as string };
}

describe.each<StoreKind>(['sqlite', 'redis'])('inspect/* commands (%s)', (kind) => {
  let server: TestServer;
  let owner: TestSocket;
  let ownerTokens: { access_token: string; refresh_token: string };
  /** Every message the server sent in these tests, for the secret check. */
  const answers: Message[] = [];
  const sockets: TestSocket[] = [];

  async function socketOf(accessToken: string): Promise<TestSocket> {
    const socket = await TestSocket.authenticated(server, accessToken);
    sockets.push(socket);
    return socket;
  }
  async function ask(socket: TestSocket, message: Message): Promise<Message> {
    const reply = await socket.command(message);
    answers.push(reply);
    return reply;
  }
  async function nextEvent(socket: TestSocket): Promise<Counts> {
    const event = await socket.next();
    answers.push(event);
    expect(event).toMatchObject({ type: 'event' });
    return (event.event as { counts: Counts }).counts;
  }

  /** Fires the counts' poll and waits until it is done (it arms the next one then). */
  async function poll(): Promise<void> {
    const armed = server.timers.pending;
    server.timers.advance(COUNT_POLL_MS);
    await expect.poll(() => server.timers.pending).toBe(armed);
  }

  beforeEach(async () => {
    server = await startTestServer(kind);
    ownerTokens = await onboardOwner(server, 'alice', PASSWORD);
    owner = await socketOf(ownerTokens.access_token);
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await server.close();
  });

  it('inspect/machines: every machine with its version, every state, and an SVG with a node per state', async () => {
    const reply = await ask(owner, { type: 'inspect/machines' });
    const drawn = (reply.result as { machines: Array<{ name: string; version: number; states: Array<{ path: string; element_id: string }>; svg: SvgElement }> }).machines;
    expect(drawn.map((machine) => [machine.name, machine.version])).toEqual(
      Object.entries(machines).map(([name, { version }]) => [name, version]),
    );
    for (const machine of drawn) {
      const states = Object.keys(machines[machine.name as MachineName].machine.root.states);
      expect(machine.states.map((state) => state.path)).toEqual(states);
      expect(machine.svg.tag).toBe('svg');
      expect(idsIn(machine.svg)).toEqual(expect.arrayContaining(machine.states.map((state) => state.element_id)));
    }
  });

  it('inspect/counts: every state of every machine, following logins and revocations', async () => {
    const counts = async () => ((await ask(owner, { type: 'inspect/counts' })).result as { counts: Counts }).counts;
    const before = await counts();
    expect(Object.keys(before)).toEqual(Object.keys(machines));
    for (const name of Object.keys(machines) as MachineName[]) {
      expect(Object.keys(before[name])).toEqual(Object.keys(machines[name].machine.root.states));
    }
    // The owner's onboarding: its code redeemed, its refresh token in use.
    expect(before.loginGrant).toMatchObject({ issued: 0, redeemed: 1 });
    expect(before.refreshToken).toMatchObject({ issued: 1, revoked: 0 });

    const { tokens } = await logInThroughFlow(server);
    await postForm(server, '/auth/revoke', { token: tokens.refresh_token });
    server.clock.now += COUNT_POLL_MS; // past the counts' cache
    const after = await counts();
    expect(after.loginGrant).toMatchObject({ redeemed: 2 });
    expect(after.refreshToken).toMatchObject({ issued: 1, revoked: 1 });
    // A finished flow is deleted (its history stays); an open one is counted.
    expect(after.loginFlow).toMatchObject({ credentials: 0, done: 0 });
    await openFlow(server);
    server.clock.now += COUNT_POLL_MS;
    expect((await counts()).loginFlow).toMatchObject({ credentials: 1 });
  });

  it('inspect/record: a refresh token, a code by its hash and a flow, each with its state and history', async () => {
    const { flowId, code, tokens, tokenId } = await logInThroughFlow(server);
    await postForm(server, '/auth/revoke', { token: tokens.refresh_token });

    const token = (await ask(owner, { type: 'inspect/record', record_id: tokenId })).result as {
      record: { machine: string; state: string; state_paths: string[]; summary: Record<string, unknown> };
      history: Array<{ event: string; from: string | null; to: string }>;
    };
    expect(token.record).toMatchObject({ machine: 'refreshToken', id: tokenId, state: 'revoked', state_paths: ['revoked'] });
    expect(token.record.summary).toMatchObject({ client_id: 'http://127.0.0.1:8123/', token_type: 'normal', end_reason: 'revoked' });
    expect(token.history.map(({ event, from, to }) => [event, from, to])).toEqual([['create', null, 'issued'], ['REVOKE', 'issued', 'revoked']]);

    const grant = (await ask(owner, { type: 'inspect/record', record_id: sha256Hex(code) })).result as { record: { summary: Record<string, unknown> } };
    expect(grant.record).toMatchObject({ machine: 'loginGrant', state: 'redeemed' });
    expect(grant.record.summary).toMatchObject({ username: 'alice', refresh_token_id: tokenId, pkce: false });

    // The finished flow is gone, its history is not; an open flow is found, padded id and all.
    const finished = (await ask(owner, { type: 'inspect/record', record_id: flowId })).result as { record: unknown; history: Array<{ to: string }> };
    expect(finished.record).toBeNull();
    expect(finished.history.map((entry) => entry.to)).toEqual(['credentials', 'done']);
    const openId = await openFlow(server);
    const open = (await ask(owner, { type: 'inspect/record', record_id: ` ${openId} ` })).result as { record: unknown };
    expect(open.record).toMatchObject({ machine: 'loginFlow', state: 'credentials', summary: { flow_id: openId, username: null } });

    expect(await ask(owner, { type: 'inspect/record', record_id: 'f'.repeat(32) })).toEqual(failure(5, 'not_found', 'Record not found.'));
    expect(await ask(owner, { type: 'inspect/record', record_id: '../../etc' })).toMatchObject({ success: false, error: { code: 'not_found' } });
  });

  it('inspect/user: a user by id or username, its refresh tokens oldest first, its newest audit entries', async () => {
    const ownerId = claimsOf(ownerTokens.access_token).iss as string;
    const ownerUserId = ((await ask(owner, { type: 'auth/current_user' })).result as { id: string }).id;
    server.clock.now += 60_000;
    const { flowId, tokens, tokenId } = await logInThroughFlow(server);
    await postForm(server, '/auth/revoke', { token: tokens.refresh_token });

    type Answer = {
      user: Record<string, unknown> | null;
      refresh_tokens: Array<{ machine: string; id: string; state: string; state_paths: string[]; summary: Record<string, unknown> }>;
      history: Array<{ machine: string; record_id: string; event: string; user_id: string | null; to: string }>;
    };
    const byId = (await ask(owner, { type: 'inspect/user', user: ownerUserId })).result as Answer;
    expect(byId.user).toEqual({ id: ownerUserId, name: 'Alice', username: 'alice', is_owner: true, is_active: true, system_generated: false });
    expect(byId.refresh_tokens.map(({ machine, id, state, state_paths }) => [machine, id, state, state_paths])).toEqual([
      ['refreshToken', ownerId, 'issued', ['issued']],
      ['refreshToken', tokenId, 'revoked', ['revoked']],
    ]);
    expect(byId.refresh_tokens[1]?.summary).toMatchObject({ user_id: ownerUserId, client_id: 'http://127.0.0.1:8123/', token_type: 'normal', end_reason: 'revoked' });
    // Every entry naming the user: the login flow once it knew the user, both tokens' lives; a code names no user.
    expect(byId.history.every((entry) => entry.user_id === ownerUserId)).toBe(true);
    const events = byId.history.map(({ machine, event, to }) => `${machine} ${event} ${to}`);
    expect(events).toEqual(['refreshToken create issued', 'loginFlow CREDENTIALS_ACCEPTED done', 'refreshToken create issued', 'refreshToken REVOKE revoked']);
    expect(byId.history.map((entry) => entry.record_id)).toEqual([ownerId, flowId, tokenId, tokenId]);

    // The homeassistant username, as a login normalizes it.
    expect((await ask(owner, { type: 'inspect/user', user: '  ALICE ' })).result).toEqual(byId);

    // A deleted user: no user, no tokens, its history kept.
    const bob = await aLoggedInUser(server, 'bob');
    expect(await ask(owner, { type: 'config/auth/delete', user_id: bob.user.id })).toMatchObject({ success: true });
    const gone = (await ask(owner, { type: 'inspect/user', user: bob.user.id })).result as Answer;
    expect(gone.user).toBeNull();
    expect(gone.refresh_tokens).toEqual([]);
    expect(gone.history.map((entry) => entry.event)).toEqual(expect.arrayContaining(['create', 'CREDENTIALS_ACCEPTED', 'REVOKE']));

    const refusal = (code: string, message: string) => ({ success: false, error: { code, message } });
    expect(await ask(owner, { type: 'inspect/user', user: 'nobody' })).toMatchObject(refusal('not_found', 'User not found.'));
    expect(await ask(owner, { type: 'inspect/user', user: 'f'.repeat(32) })).toMatchObject(refusal('not_found', 'User not found.'));
    expect(await ask(owner, { type: 'inspect/user' })).toMatchObject(refusal('invalid_format', "required key not provided @ data['user']. Got None"));
    expect(await ask(owner, { type: 'inspect/user', user: 7 })).toMatchObject(refusal('invalid_format', "expected str for dictionary value @ data['user']. Got 7"));
  });

  it('inspect/subscribe: the counts at once, then when they change, until unsubscribed', async () => {
    expect(await ask(owner, { type: 'inspect/subscribe' })).toEqual(success(1, null));
    const first = await nextEvent(owner);
    expect(first.refreshToken).toMatchObject({ issued: 1 });

    const { tokens } = await logInThroughFlow(server);
    await poll();
    expect((await nextEvent(owner)).refreshToken).toMatchObject({ issued: 2, revoked: 0 });

    // Nothing changed: no event.
    await poll();
    await postForm(server, '/auth/revoke', { token: tokens.refresh_token });
    await poll();
    expect((await nextEvent(owner)).refreshToken).toMatchObject({ issued: 1, revoked: 1 });

    expect(await ask(owner, { type: 'unsubscribe_events', subscription: 1 })).toEqual(success(2, null));
    expect(await ask(owner, { type: 'unsubscribe_events', subscription: 1 })).toEqual(failure(3, 'not_found', 'Subscription not found.'));
    await logInThroughFlow(server);
    server.timers.advance(COUNT_POLL_MS);
    expect(await ask(owner, { type: 'ping' })).toEqual({ id: 4, type: 'pong' });
    expect(owner.unread).toEqual([]);
  });

  it('inspect/subscribe_transitions: every write of a login as it happens, only the listed fields, until unsubscribed', async () => {
    expect(await ask(owner, { type: 'inspect/subscribe_transitions' })).toEqual(success(1, null));
    const { flowId, code, tokenId } = await logInThroughFlow(server);
    const heard: Message[] = [];
    // The login's last write is its refresh token's creation.
    while (!heard.some((notice) => notice.machine === 'refreshToken')) {
      const message = await owner.next();
      answers.push(message);
      expect(message).toMatchObject({ id: 1, type: 'event' });
      heard.push(message.event as Message);
    }
    for (const notice of heard) {
      expect(Object.keys(notice).sort()).toEqual(['at', 'event', 'from', 'instance', 'machine', 'record_id', 'to']);
      expect(notice).toMatchObject({ instance: 'test-instance', at: server.clock.now });
    }
    expect(heard.map(({ machine, record_id: id, event, from, to }) => [machine, id, event, from, to])).toEqual([
      ['loginFlow', flowId, 'create', null, 'credentials'],
      ['loginFlow', flowId, 'CREDENTIALS_ACCEPTED', 'credentials', 'done'],
      ['loginGrant', sha256Hex(code), 'create', null, 'issued'],
      ['loginGrant', sha256Hex(code), 'REDEEM', 'issued', 'redeemed'],
      ['refreshToken', tokenId, 'create', null, 'issued'],
    ]);

    expect(await ask(owner, { type: 'unsubscribe_events', subscription: 1 })).toEqual(success(2, null));
    await logInThroughFlow(server);
    expect(await ask(owner, { type: 'ping' })).toEqual({ id: 3, type: 'pong' });
    expect(owner.unread).toEqual([]);
  });

  it('inspect/counts: the last hour of the states whose records are deleted as they reach them', async () => {
    const lastHour = async () => ((await ask(owner, { type: 'inspect/counts' })).result as { last_hour: Counts }).last_hour;
    expect(await lastHour()).toEqual({ loginFlow: { done: 0, aborted: 0 }, mfaSetupFlow: { confirmed: 0, expired: 0 } });
    await logInThroughFlow(server);
    await logInThroughFlow(server);
    // Counted right after the flow's write, not awaited by the login (services/inspection/ended-records.ts).
    await expect.poll(async () => {
      server.clock.now += COUNT_POLL_MS; // past the counts' cache
      return (await lastHour()).loginFlow;
    }).toEqual({ done: 2, aborted: 0 });
    // An hour later they are out of the window, on every store alike.
    server.clock.now += 60 * 60_000;
    expect((await lastHour()).loginFlow).toEqual({ done: 0, aborted: 0 });
  });

  it('counts once per poll for every subscriber, and stops when the last subscribed socket closes', async () => {
    const other = await socketOf(ownerTokens.access_token);
    await ask(owner, { type: 'inspect/subscribe' });
    await ask(other, { type: 'inspect/subscribe' });
    await nextEvent(owner);
    await nextEvent(other);
    const counted = vi.spyOn(server.store, 'countByState');
    await poll();
    expect(counted).toHaveBeenCalledTimes(1);
    owner.close();
    await owner.closedWithin();
    await poll();
    expect(counted).toHaveBeenCalledTimes(2);
    expect(server.timers.pendingOf(COUNT_POLL_MS)).toBe(1);
    other.close();
    await other.closedWithin();
    // Stopping is the poll's timer cancelled (the server hears of the close a moment after the client).
    await expect.poll(() => server.timers.pendingOf(COUNT_POLL_MS)).toBe(0);
    expect(counted).toHaveBeenCalledTimes(2);
  });

  it('refuses every inspect/* command to a user who is neither owner nor administrator', async () => {
    const { user, tokens } = await aLoggedInUser(server, 'bob');
    const bob = await socketOf(tokens.access_token);
    const commands = [
      { type: 'inspect/machines' }, { type: 'inspect/counts' }, { type: 'inspect/subscribe' }, { type: 'inspect/subscribe_transitions' },
      { type: 'inspect/record', record_id: claimsOf(tokens.access_token).iss as string },
      { type: 'inspect/user', user: user.id },
    ];
    for (const [index, command] of commands.entries()) {
      expect(await ask(bob, command)).toEqual(failure(index + 1, 'unauthorized', 'Unauthorized'));
    }
    server.timers.advance(COUNT_POLL_MS);
    expect(await ask(bob, { type: 'ping' })).toEqual({ id: commands.length + 1, type: 'pong' });
  });

  it('answers nothing secret: no token, code, password or jwt key of these tests appears', async () => {
    const { flowId, code, tokens, tokenId } = await logInThroughFlow(server);
    const ownerId = claimsOf(ownerTokens.access_token).iss as string;
    for (const id of [tokenId, ownerId, sha256Hex(code), flowId]) await ask(owner, { type: 'inspect/record', record_id: id });
    const ownerUserId = ((await ask(owner, { type: 'auth/current_user' })).result as { id: string }).id;
    expect(await ask(owner, { type: 'inspect/user', user: ownerUserId })).toMatchObject({ success: true });
    expect(await ask(owner, { type: 'inspect/user', user: 'alice' })).toMatchObject({ success: true });
    await ask(owner, { type: 'inspect/machines' });
    await ask(owner, { type: 'inspect/counts' });
    await ask(owner, { type: 'inspect/subscribe' });
    await nextEvent(owner);
    await ask(owner, { type: 'inspect/subscribe_transitions' });
    await logInThroughFlow(server);
    for (let heard = 0; heard < 5; heard += 1) answers.push(await owner.next());
    const jwtKeys = await Promise.all([tokenId, ownerId].map(async (id) => {
      const envelope = await server.store.refreshTokens.load(id);
      return (envelope?.snapshot as { context: { jwtKey: string } }).context.jwtKey;
    }));
    const secrets = [code, PASSWORD, tokens.refresh_token, tokens.access_token, ownerTokens.refresh_token, ownerTokens.access_token, ...jwtKeys];
    expect(secrets.every((secret) => secret.length >= 15)).toBe(true);
    const text = JSON.stringify(answers);
    expect(text).toContain(tokenId);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/jwt_?key/i);
    answers.length = 0;
  });
});

describe('inspect/subscribe_transitions across two instances on one Redis', () => {
  const prefix = uniquePrefix();
  const servers: TestServer[] = [];
  const stores: Store[] = [];
  let socket: TestSocket | undefined;

  async function instance(name: string): Promise<TestServer> {
    const store = await openRedisStore({ url: REDIS_URL, keyPrefix: prefix, sealer: testSealer() });
    stores.push(store);
    const server = await startTestServer('redis', undefined, { store, instanceId: name });
    servers.push(server);
    return server;
  }
  afterEach(async () => {
    socket?.close();
    for (const server of servers.splice(0)) await server.close();
    for (const store of stores.splice(0)) await store.close();
    await deleteKeysUnder(prefix);
  });

  it('streams to a watcher on one instance what the other writes', async () => {
    const [a, b] = [await instance('a'), await instance('b')];
    const tokens = await onboardOwner(a, 'alice', PASSWORD);
    socket = await TestSocket.authenticated(b, tokens.access_token);
    expect(await socket.command({ type: 'inspect/subscribe_transitions' })).toEqual(success(1, null));
    const watcher = socket;
    // Until a's quiet time after its unwatched writes is over (stores/redis/transition-channel.ts), a
    // flow opened on a may go unheard: open one per try until b's watcher hears one.
    const opened: string[] = [];
    await vi.waitFor(async () => {
      opened.push(await openFlow(a));
      const heard = watcher.unread.map((message) => message.event as Message);
      expect(heard).toContainEqual(expect.objectContaining({ machine: 'loginFlow', event: 'create', from: null, to: 'credentials', instance: 'a' }));
      expect(opened).toContain(heard.find((notice) => notice.instance === 'a')?.record_id);
    }, { timeout: 10_000, interval: 50 });
  });
});
