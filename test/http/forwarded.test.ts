/**
 * X-Forwarded-For (ha-auth-spec §0, homeassistant/components/http/forwarded.py), configured by the
 * configuration file's `http: use_x_forwarded_for` and `trusted_proxies`: honoured only when enabled
 * and the TCP peer is a trusted proxy; the right-most untrusted address is the client; from an
 * untrusted peer, when disabled, duplicated or malformed → 400. The client address a request got is
 * read back from the login flow it started (a flow is bound to its client's IP).
 */
import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../../src/auth-config.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { failuresOf } from './ip-ban-helpers.js';
import { START } from './http-helpers.js';

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

/** A request over node:http, which (unlike fetch) can send a header twice. */
function send(server: TestServer, path: string, headers: Record<string, string | string[]>, body?: string): Promise<Answer> {
  const url = new URL(path, server.baseUrl);
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: body === undefined ? 'GET' : 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const FLOW_START = JSON.stringify({ client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI });
const BAD_REQUEST = { status: 400, contentType: 'text/plain; charset=utf-8', text: '400: Bad Request' };

/** Starts a login flow with these headers: the client IP the service bound it to, or the refusal. */
async function clientIpOf(server: TestServer, forwardedFor?: string | string[]): Promise<string | Answer> {
  const headers = { 'content-type': 'application/json', ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) };
  const answer = await send(server, '/auth/login_flow', headers, FLOW_START);
  if (answer.status !== 200) return answer;
  const { flow_id: flowId } = JSON.parse(answer.text) as { flow_id: string };
  const envelope = await server.store.flows.load(flowId);
  return (envelope?.snapshot as { context: { ipAddress: string } }).context.ipAddress;
}

const config = (http: string) => parseAuthConfig(`http: ${http}`, 'test.yaml');

describe.each(['sqlite', 'redis'] as const)('X-Forwarded-For over %s', (kind: StoreKind) => {
  let off: TestServer;
  let behindProxy: TestServer;
  let untrustedPeer: TestServer;
  beforeAll(async () => {
    [off, behindProxy, untrustedPeer] = await Promise.all([
      startTestServer(kind, START),
      // login_attempts_threshold 1: one counted failure would ban the address.
      startTestServer(kind, START, {
        authConfig: config('{use_x_forwarded_for: true, trusted_proxies: [127.0.0.1, 10.0.0.0/8], login_attempts_threshold: 1}'),
      }),
      startTestServer(kind, START, { authConfig: config('{use_x_forwarded_for: true, trusted_proxies: [10.0.0.0/8]}') }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([off.close(), behindProxy.close(), untrustedPeer.close()]);
  });

  it('without the header, the TCP peer is the client, whatever the configuration', async () => {
    expect(await clientIpOf(off)).toBe('127.0.0.1');
    expect(await clientIpOf(behindProxy)).toBe('127.0.0.1');
    expect(await clientIpOf(untrustedPeer)).toBe('127.0.0.1');
  });

  it('refuses the header with 400 while use_x_forwarded_for is off (the default)', async () => {
    expect(await clientIpOf(off, '203.0.113.9')).toEqual(BAD_REQUEST);
  });

  it('refuses the header with 400 from a peer that is not a trusted proxy', async () => {
    expect(await clientIpOf(untrustedPeer, '203.0.113.9')).toEqual(BAD_REQUEST);
  });

  it('refuses the header sent twice, even with good addresses', async () => {
    expect(await clientIpOf(behindProxy, ['203.0.113.9', '10.0.0.2'])).toEqual(BAD_REQUEST);
  });

  it.each(['not-an-ip', '203.0.113.9:4711', '', '203.0.113.9,,10.0.0.2', '203.0.113.9,', '[2001:db8::1]', '203.0.113.09', '203.0.113.9 10.0.0.2'])(
    'refuses the malformed header %j',
    async (header) => {
      expect(await clientIpOf(behindProxy, header)).toEqual(BAD_REQUEST);
    },
  );

  it.each([
    ['203.0.113.9', '203.0.113.9'],
    // The right-most address that is not a trusted proxy: 10.0.0.2 is one, 203.0.113.9 is not.
    ['198.51.100.1, 203.0.113.9, 10.0.0.2', '203.0.113.9'],
    [' 203.0.113.9 ,10.0.0.2 ', '203.0.113.9'],
    // Every address a trusted proxy: the left-most.
    ['10.0.0.3, 10.0.0.2', '10.0.0.3'],
    // Written as Python writes it.
    ['2001:DB8:0::1', '2001:db8::1'],
    ['::ffff:203.0.113.9', '::ffff:203.0.113.9'],
  ])('takes the client of %j from a trusted proxy: %s', async (header, client) => {
    expect(await clientIpOf(behindProxy, header)).toBe(client);
  });

  it('answers before the routes and bans: a refused request counts as no failed login', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': 'garbage' };
    expect(await send(behindProxy, '/auth/token', form, 'grant_type=refresh_token&refresh_token=x')).toEqual(BAD_REQUEST);
    expect(await send(behindProxy, '/auth/token', { ...form, 'x-forwarded-for': ['203.0.113.77', '203.0.113.77'] }, 'a=b')).toEqual(BAD_REQUEST);
    expect(await failuresOf(behindProxy, '127.0.0.1')).toBe(0);
    expect(await failuresOf(behindProxy, '203.0.113.77')).toBe(0);
    // The same request with a good header is one (threshold 1: the address is banned after it).
    const counted = await send(behindProxy, '/auth/token', { ...form, 'x-forwarded-for': '203.0.113.78' }, 'grant_type=nope');
    expect(counted.status).toBe(400);
    expect((await send(behindProxy, '/auth/providers', { 'x-forwarded-for': '203.0.113.78' })).status).toBe(403);
  });

  it('refuses the WebSocket upgrade with a bad header, and gives a good one to the socket', async () => {
    await expect(TestSocket.open(off.baseUrl, { headers: { 'x-forwarded-for': '203.0.113.9' } })).rejects.toThrow(
      'Unexpected server response: 400',
    );
    const socket = await TestSocket.open(behindProxy.baseUrl, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(await socket.next()).toEqual(expect.objectContaining({ type: 'auth_required' }));
    socket.close();
  });
});

describe('the log line of a refused proxy', () => {
  it('names use_x_forwarded_for, trusted_proxies and the configuration file; the answer stays a plain 400', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(line) });
    const withoutFile = await startTestServer('sqlite', START, { logger });
    const withFile = await startTestServer('sqlite', START, {
      logger,
      authConfig: parseAuthConfig('http: {use_x_forwarded_for: true, trusted_proxies: [10.0.0.0/8]}', 'CONFIG_FILE /etc/hass-auth/config.yaml'),
    });
    try {
      expect(await clientIpOf(withoutFile, '203.0.113.9')).toEqual(BAD_REQUEST);
      expect(await clientIpOf(withFile, '203.0.113.9')).toEqual(BAD_REQUEST);
    } finally {
      await Promise.all([withoutFile.close(), withFile.close()]);
    }
    const logged = lines.map((line) => JSON.parse(line) as { level: number; reqId?: string; msg: string });
    expect(logged.map(({ level, msg }) => [level, msg])).toEqual([
      [50, 'A request from a reverse proxy was received from 127.0.0.1, but your HTTP integration is not set-up for reverse proxies; ' +
        'set http: use_x_forwarded_for: true and list 127.0.0.1 in http: trusted_proxies in the configuration file (none is read: set CONFIG_FILE to its path)'],
      [50, 'Received X-Forwarded-For header from an untrusted proxy 127.0.0.1; add 127.0.0.1 (or its network) to http: trusted_proxies in CONFIG_FILE /etc/hass-auth/config.yaml'],
    ]);
    expect(logged.every((line) => /^req-/.test(line.reqId ?? ''))).toBe(true);
  });
});
