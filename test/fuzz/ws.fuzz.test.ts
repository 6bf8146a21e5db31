/**
 * Property-based fuzzing of the WebSocket API against the real server, on both stores (issue 7 item
 * 6): the auth phase with real, forged and unsigned tokens and junk, and, once authenticated as the
 * owner, runs of commands from ws-arbitraries.ts. Every command with a fresh id gets exactly one
 * answer, no answer is `unknown_error` (what an unexpected exception becomes, src/ws/command-error.ts),
 * the server logs no error, a socket closes only as the protocol says, and afterwards the server
 * still answers and the store is consistent (checkStoreInvariants).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/domain/access-token.js';
import { issueRefreshToken } from '../support/fixtures.js';
import { checkStoreInvariants } from '../support/store-invariants.js';
import { startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { TestSocket, type Message } from '../support/ws-client.js';
import { theOwner } from '../http/token-client.js';
import { errorLog, loggedProblems } from './answers.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-settings.js';
import { authMessage, COMMAND_TYPES, commandMessage, messageText, type WsIds } from './ws-arbitraries.js';
import { bend } from './values.js';
import { onboardOwner } from '../support/http-client.js';

const COMMAND_RUNS = 80;
const AUTH_RUNS = 40;

interface Reply {
  message: Message;
}

/** The next message, or `{type: 'closed', code, reason}` once the socket has closed. */
const nextOrClosed = (socket: TestSocket) =>
  Promise.race<Message>([socket.next(), socket.closed.then((closed): Message => ({ type: 'closed', ...closed }))]);

describe.each<StoreKind>(['sqlite', 'redis'])('WebSocket fuzzing (%s)', (kind) => {
  let server: TestServer;
  let ids: WsIds;
  const log = errorLog();
  const succeeded = new Set<string>();

  /** A fresh session of the owner, straight in the store: the fuzzed commands may delete every token it has. */
  const ownerAccessToken = async () => {
    const { id, jwtKey, secret } = await issueRefreshToken(server.store, ids.ownerId, server.clock.now);
    return { accessToken: await signAccessToken(id, jwtKey, server.clock.now, 1800), refreshToken: secret };
  };

  beforeAll(async () => {
    server = await startTestServer(kind, undefined, { logger: log.logger });
    const { access_token: accessToken } = await onboardOwner(server);
    const owner = await theOwner(server);
    const socket = await TestSocket.authenticated(server, accessToken);
    const other = (await socket.result({ type: 'config/auth/create', name: 'Bob', group_ids: ['system-users'] })) as { user: { id: string } };
    await socket.result({ type: 'config/auth_provider/homeassistant/create', user_id: other.user.id, username: 'bob', password: 'bob-password' });
    socket.close();
    ids = {
      ownerId: owner.id,
      otherUserId: other.user.id,
      otherUsername: 'bob',
      ownerTokenId: (await issueRefreshToken(server.store, owner.id, server.clock.now, { tokenType: 'long_lived_access_token', clientName: 'fuzz' })).id,
      otherTokenId: (await issueRefreshToken(server.store, other.user.id, server.clock.now)).id,
    };
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends only commands the server knows', async () => {
    const socket = await TestSocket.authenticated(server, (await ownerAccessToken()).accessToken);
    const unknown = [];
    for (const type of COMMAND_TYPES) {
      const reply = await socket.command({ type });
      if ((reply.error as { code?: string } | undefined)?.code === 'unknown_command') unknown.push(type);
      // inspect/subscribe answers, then sends events only when its timer fires (never here).
    }
    socket.close();
    expect(unknown).toEqual([]);
  });

  it('answers every auth message with auth_ok, auth_invalid or a normal close; auth_ok only for a real token', async () => {
    const property = fc.asyncProperty(authMessage, async (message) => {
      const { accessToken, refreshToken } = await ownerAccessToken();
      const socket = await TestSocket.open(server.baseUrl);
      try {
        expect((await socket.next()).type).toBe('auth_required');
        log.take();
        let text: string;
        if (message.kind === 'text') text = message.text;
        else {
          const token = message.bend === 'refresh token' ? refreshToken : message.bend === 'none' ? accessToken : bend(accessToken, message.bend);
          text = JSON.stringify({ type: message.type, access_token: token, ...Object.fromEntries(message.extra.map(([k, v]) => [k, JSON.parse(v) as unknown])) });
        }
        socket.send(text);
        const reply = await nextOrClosed(socket);
        // Home Assistant's auth schema allows no key but `type` and one of `access_token` and `api_password`.
        const valid = message.kind === 'token' && message.type === 'auth' && message.bend === 'none' && message.extra.length === 0;
        if (reply.type === 'closed') expect(reply.code, JSON.stringify(reply)).toBe(1000);
        else expect(reply.type).toBe(valid ? 'auth_ok' : 'auth_invalid');
        expect(loggedProblems(log.take())).toEqual([]);
      } finally {
        socket.close();
      }
    });
    await fc.assert(property, fuzzParameters(AUTH_RUNS));
  }, fuzzTimeout(AUTH_RUNS, 300));

  it('answers every command once, never with unknown_error, and closes a socket only when its session ended', async () => {
    const property = fc.asyncProperty(fc.array(commandMessage(ids), { minLength: 1, maxLength: 6 }), async (messages) => {
      const socket = await TestSocket.authenticated(server, (await ownerAccessToken()).accessToken);
      log.take();
      let lastId = 0;
      let seenFlowId: string | null = null;
      try {
        for (const message of messages) {
          const id = message.id === 'next' ? ++lastId : message.id === 'repeat' ? Math.max(lastId, 1) : null;
          const text = messageText(message, id, seenFlowId);
          socket.send(text);
          // A ping with the next id fences this message's answers off from the next one's.
          const fence = ++lastId;
          socket.send({ id: fence, type: 'ping' });
          const replies: Reply[] = [];
          for (;;) {
            const next = await nextOrClosed(socket);
            if (next.type === 'closed') {
              // The command ended the socket's own session (a deleted token): Home Assistant closes it normally.
              expect({ text, close: next }).toEqual({ text, close: { type: 'closed', code: 1000, reason: 'Session ended' } });
              return;
            }
            if (next.id === fence) break;
            replies.push({ message: next });
          }
          for (const { message: reply } of replies) {
            const error = reply.error as { code?: unknown; message?: unknown } | undefined;
            expect(error?.code, `${text} → ${JSON.stringify(reply)}`).not.toBe('unknown_error');
            if (reply.success === false) expect(typeof error?.message === 'string' && error.message !== '', `${text} → ${JSON.stringify(reply)}`).toBe(true);
            const result = reply.result as { flow_id?: unknown } | null | undefined;
            if (typeof result?.flow_id === 'string') seenFlowId = result.flow_id;
            if (reply.success === true && message.type !== null) succeeded.add(message.type);
          }
          // A repeated `id` or `type` (the last one counts) makes it another message.
          const repeated = message.fields.some(([name]) => name === 'id' || name === 'type');
          if (message.id === 'next' && message.type !== null && !repeated) {
            // Its answer: one `result` (or `pong`); a subscription's events come besides.
            const answers = replies.filter(({ message: reply }) => reply.id === id && reply.type !== 'event');
            expect(answers.length, `${text} → ${JSON.stringify(replies)}`).toBe(1);
          }
          expect(loggedProblems(log.take()), text).toEqual([]);
        }
      } finally {
        socket.close();
      }
    });
    await fc.assert(property, fuzzParameters(COMMAND_RUNS));
    // The runs got past the schemas into the commands: many kinds of command succeeded.
    expect(succeeded.size).toBeGreaterThanOrEqual(Math.min(10, COMMAND_TYPES.length));
  }, fuzzTimeout(COMMAND_RUNS, 1500));

  it('still answers, and leaves a store in which every record and index entry is consistent', async () => {
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    expect(await checkStoreInvariants(server.store)).toEqual([]);
  });
});
