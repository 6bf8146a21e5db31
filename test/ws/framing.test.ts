/**
 * The command phase's framing (ha-auth-spec §10.2): the envelope check, increasing ids, unknown
 * commands, schema errors in voluptuous' humanized words, arrays of messages, binary and non-JSON
 * frames, oversized frames, and the server going on serving other sockets through all of it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { onboardOwner } from '../support/http-client.js';

const malformed = (id: unknown) => ({
  id,
  type: 'result',
  success: false,
  error: { code: 'invalid_format', message: 'Message incorrectly formatted.' },
});
const failure = (id: unknown, code: string, message: string) => ({ id, type: 'result', success: false, error: { code, message } });

describe('WebSocket command framing', () => {
  let server: TestServer;
  let socket: TestSocket;
  let accessToken: string;
  beforeEach(async () => {
    server = await startTestServer('sqlite', undefined, { websocketLimits: { maxFrameBytes: 4096 } });
    ({ access_token: accessToken } = await onboardOwner(server));
    socket = await TestSocket.authenticated(server, accessToken);
  });
  afterEach(async () => {
    socket.close();
    await server.close();
  });

  it.each([
    ['a string id, echoed', { id: '5', type: 'ping' }, '5'],
    ['a zero id', { id: 0, type: 'ping' }, 0],
    ['a negative id', { id: -3, type: 'ping' }, -3],
    ['a fractional id', { id: 1.5, type: 'ping' }, 1.5],
    ['a boolean id', { id: true, type: 'ping' }, true],
    ['no id', { type: 'ping' }, null],
    ['no type', { id: 4 }, 4],
    ['an empty type', { id: 4, type: '' }, 4],
    ['a type that is not a string', { id: 4, type: ['ping'] }, 4],
    ['a message that is not an object', 'ping', 0],
    ['null', null, 0],
  ])('answers %s with invalid_format', async (_, message, id) => {
    socket.send(JSON.stringify(message));
    expect(await socket.next()).toEqual(malformed(id));
  });

  it('requires increasing ids; an unknown command or a malformed envelope does not use up its id', async () => {
    expect(await socket.command({ type: 'no/such_command' })).toEqual(failure(1, 'unknown_command', 'Unknown command.'));
    socket.send({ id: 1, type: 'ping' });
    expect(await socket.next()).toEqual({ id: 1, type: 'pong' });
    socket.send({ id: 1, type: 'ping' });
    expect(await socket.next()).toEqual(failure(1, 'id_reuse', 'Identifier values have to increase.'));
    socket.send({ id: 7, type: 'auth/current_user', extra: 1 });
    expect((await socket.next()).error).toEqual(expect.objectContaining({ code: 'invalid_format' }));
    socket.send({ id: 7, type: 'ping' });
    expect(await socket.next()).toEqual(failure(7, 'id_reuse', 'Identifier values have to increase.'));
    socket.send({ id: 1000, type: 'ping' });
    expect(await socket.next()).toEqual({ id: 1000, type: 'pong' });
  });

  it('refuses extra keys on a command without a schema, showing the whole message as Python would', async () => {
    socket.send({ id: 3, type: 'auth/current_user', verbose: true, note: "it's" });
    expect(await socket.next()).toEqual(
      failure(3, 'invalid_format', `extra keys not allowed. Got {'id': 3, 'type': 'auth/current_user', 'verbose': True, 'note': "it's"}`),
    );
  });

  it('lists every schema error, sorted, with the value it refused', async () => {
    socket.send({ id: 2, type: 'auth/long_lived_access_token', lifespan: 'ten', client_icon: 7, color: 'red' });
    expect(await socket.next()).toEqual(
      failure(
        2,
        'invalid_format',
        [
          "expected int for dictionary value @ data['lifespan']. Got 'ten'",
          "expected str for dictionary value @ data['client_icon']. Got 7",
          "extra keys not allowed @ data['color']. Got 'red'",
          "required key not provided @ data['client_name']. Got None",
        ]
          .sort()
          .join('\n'),
      ),
    );
  });

  it('handles an array of messages in one frame, in order', async () => {
    socket.send([{ id: 1, type: 'ping' }, { id: 2, type: 'nope' }, 'junk', { id: 2, type: 'ping' }]);
    expect([await socket.next(), await socket.next(), await socket.next(), await socket.next()]).toEqual([
      { id: 1, type: 'pong' },
      failure(2, 'unknown_command', 'Unknown command.'),
      malformed(0),
      { id: 2, type: 'pong' },
    ]);
  });

  it('accepts the supported_features message home-assistant-js-websocket sends first', async () => {
    expect(await socket.command({ type: 'supported_features', features: { coalesce_messages: 1 } })).toEqual({
      id: 1,
      type: 'result',
      success: true,
      result: null,
    });
    socket.send({ id: 2, type: 'supported_features', features: { coalesce_messages: 'yes' } });
    expect(await socket.next()).toEqual(
      failure(2, 'invalid_format', "expected int for dictionary value @ data['features']['coalesce_messages']. Got 'yes'"),
    );
  });

  it('ignores a binary frame for a handler it does not have, and closes on an empty one', async () => {
    socket.send(Buffer.from([7, 1, 2]));
    expect(await socket.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    socket.send(Buffer.alloc(0));
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code: 1000 }));
  });

  it.each([
    ['text that is not JSON', '{"id": 1,', 1000],
    ['a frame over the size limit', JSON.stringify({ id: 1, type: 'ping', pad: 'x'.repeat(5000) }), 1009],
  ])('closes on %s and keeps serving other sockets', async (_, frame, code) => {
    const other = await TestSocket.authenticated(server, accessToken);
    socket.send(frame);
    expect(await socket.closedWithin()).toEqual(expect.objectContaining({ code }));
    expect(await other.command({ type: 'ping' })).toEqual({ id: 1, type: 'pong' });
    other.close();
  });
});
