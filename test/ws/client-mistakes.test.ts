/**
 * What a WebSocket client gets wrong is the client's, not the service's (issue 18): junk that ws
 * refuses before the `auth` message (text that is not UTF-8, a frame over the limit) closes the
 * socket with the code that names it and is logged at `warn` at most, without a stack trace, and a
 * flood of it writes a bounded number of lines per interval, however many sockets send it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { capturedLogger, PINO_ERROR, PINO_WARN, type LogEntry } from '../support/logger.js';
import { TestSocket } from '../support/ws-client.js';

const MAX_FRAME_BYTES = 1024;
const NOT_UTF8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);

/** Sends junk as the first frame after `auth_required`; resolves with how the server closed. */
async function sendJunk(server: TestServer, junk: 'not utf-8' | 'oversized') {
  const socket = await TestSocket.open(server.baseUrl);
  await socket.next();
  if (junk === 'not utf-8') socket.socket.send(NOT_UTF8, { binary: false });
  else socket.send('x'.repeat(MAX_FRAME_BYTES + 1));
  return socket.closedWithin();
}

describe('WebSocket client mistakes in the log', () => {
  let server: TestServer;
  let log: ReturnType<typeof capturedLogger>;
  beforeEach(async () => {
    log = capturedLogger();
    server = await startTestServer('sqlite', undefined, { logger: log.logger, websocketLimits: { maxFrameBytes: MAX_FRAME_BYTES } });
  });
  afterEach(() => server.close());

  const mistakes = () => log.entries().filter((entry) => entry.msg === 'websocket: client error');
  const stackIn = (entry: LogEntry) => /\n\s+at /.test(JSON.stringify(entry).replaceAll('\\n', '\n'));

  it.each([
    ['text that is not UTF-8', 'not utf-8', 1007, 'WS_ERR_INVALID_UTF8'],
    ['a frame over the limit', 'oversized', 1009, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'],
  ] as const)('closes on %s before auth and logs one warning, without a stack', async (_label, junk, code, errorCode) => {
    expect(await sendJunk(server, junk)).toEqual(expect.objectContaining({ code }));
    await vi.waitFor(() => expect(mistakes()).toHaveLength(1));
    expect(mistakes()[0]).toMatchObject({ level: PINO_WARN, code: errorCode, ip: '127.0.0.1' });
    expect(log.entries().filter((entry) => entry.level >= PINO_ERROR)).toEqual([]);
    expect(log.entries().filter(stackIn)).toEqual([]);
  });

  it('logs at most 10 of a flood per minute, then says how many it left out', async () => {
    for (let sent = 0; sent < 30; sent += 1) await sendJunk(server, sent % 2 === 0 ? 'not utf-8' : 'oversized');
    await vi.waitFor(() => expect(log.entries().filter((entry) => entry.msg === 'websocket: client error').length).toBe(10));
    server.clock.now += 60_000;
    await sendJunk(server, 'not utf-8');
    await vi.waitFor(() => expect(mistakes()).toHaveLength(11));
    expect(mistakes()[10]).toMatchObject({ level: PINO_WARN, notLogged: 20 });
    expect(log.entries().filter((entry) => entry.level >= PINO_ERROR)).toEqual([]);
  });
});
