/**
 * `hass_auth_login_attempts_total{outcome}` and the login log lines (http/login-outcome.ts) on a
 * real server: each way a login attempt ends is counted under its own outcome, steps on the way
 * (the first form, the MFA form after a right password) count nothing, and each attempt that ends
 * writes one `info` line with its request id, outcome and login, and never the password or code.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOGIN_OUTCOMES } from '../../src/domain/login-outcomes.js';
import { START } from '../http/http-helpers.js';
import { aClientIp, httpConfig } from '../http/ip-ban-helpers.js';
import { setUpTotp, wrongCode } from '../support/mfa.js';
import { CLIENT_ID, REDIRECT_URI, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { scrape, valueOf } from './scrape.js';
import { onboardOwner, postJson } from '../support/http-client.js';

const PASSWORD = 'secret-password';
const ATTEMPTS = 'hass_auth_login_attempts_total';
const FLOW_START = { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI };

interface LogLine {
  level: number;
  reqId?: string;
  msg: string;
  outcome?: string;
  user?: string | null;
  ip?: string;
}

let server: TestServer;
let lines: string[];

beforeEach(async () => {
  lines = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  // Three failures ban an address; each attempt below comes from an address of its own unless it means to be banned.
  server = await startTestServer('sqlite', START, { logger, trustProxy: ['127.0.0.1'], authConfig: httpConfig(3) });
});
afterEach(async () => {
  await server.close();
});

const loginLines = () => lines.map((line) => JSON.parse(line) as LogLine).filter((line) => line.msg === 'login succeeded' || line.msg === 'login failed');

async function step(ip: string, flowId: string, input: Record<string, unknown>) {
  const response = await postJson(server, `/auth/login_flow/${flowId}`, { client_id: CLIENT_ID, ...input }, ip);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function startFrom(ip: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await postJson(server, '/auth/login_flow', { ...FLOW_START, ...overrides }, ip);
  return ((await response.json()) as { flow_id: string }).flow_id;
}

describe('login attempts by outcome', () => {
  it('counts and logs each outcome once, with the request id and the login, never a password or a code', async () => {
    const owner = await onboardOwner(server, 'alice', PASSWORD);
    const before = await scrape(server);
    expect(LOGIN_OUTCOMES.map((outcome) => valueOf(before, ATTEMPTS, { outcome }))).toEqual(LOGIN_OUTCOMES.map(() => 0));
    expect(before.filter((sample) => sample.name === ATTEMPTS)).toHaveLength(LOGIN_OUTCOMES.length);

    let ip = aClientIp();
    expect((await step(ip, await startFrom(ip), { username: 'alice', password: 'wrong-password' })).body.errors).toEqual({ base: 'invalid_auth' });
    ip = aClientIp();
    expect((await step(ip, await startFrom(ip), { username: 'alice', password: PASSWORD })).body.type).toBe('create_entry');

    ip = aClientIp();
    const elsewhere = await startFrom(ip, { redirect_uri: 'https://elsewhere.example/cb' });
    expect((await step(ip, elsewhere, { username: 'alice', password: PASSWORD })).status).toBe(403);

    // With TOTP on, the right password is a step on the way; the wrong code ends an attempt.
    const socket = await TestSocket.authenticated(server, owner.access_token);
    const secret = await setUpTotp(server, socket);
    socket.close();
    ip = aClientIp();
    const mfaFlow = await startFrom(ip);
    expect((await step(ip, mfaFlow, { username: 'ALICE', password: PASSWORD })).body.step_id).toBe('mfa');
    const code = wrongCode(secret, server.clock.now);
    expect((await step(ip, mfaFlow, { code })).body.errors).toEqual({ base: 'invalid_code' });

    ip = aClientIp();
    expect((await step(ip, 'f'.repeat(32), { username: 'mallory', password: 'guess' })).status).toBe(404);
    ip = aClientIp();
    const notJson = await fetch(`${server.baseUrl}/auth/login_flow`, { method: 'POST', headers: { 'x-forwarded-for': ip }, body: '{' });
    expect(notJson.status).toBe(400);
    ip = aClientIp();
    for (let failure = 0; failure < 3; failure += 1) await step(ip, await startFrom(ip), { username: 'bob', password: 'guess' });
    expect((await postJson(server, '/auth/login_flow', FLOW_START, ip)).status).toBe(403);

    const samples = await scrape(server);
    const counted = Object.fromEntries(
      LOGIN_OUTCOMES.map((outcome): [string, number] => [outcome, valueOf(samples, ATTEMPTS, { outcome })]).filter(([, n]) => n !== 0),
    );
    expect(counted).toEqual({
      success: 1,
      invalid_auth: 4,
      invalid_code: 1,
      unknown_flow: 1,
      malformed_request: 1,
      // The flow ran to its end and the password was right: only then does the redirect check refuse (Home Assistant's order).
      invalid_redirect_uri: 1,
      banned: 1,
    });

    const logged = loginLines();
    expect(logged.map(({ msg, outcome, user }) => [msg, outcome, user])).toEqual([
      ['login failed', 'invalid_auth', 'alice'],
      ['login succeeded', 'success', 'alice'],
      ['login failed', 'invalid_redirect_uri', 'alice'],
      ['login failed', 'invalid_code', 'alice'],
      ['login failed', 'unknown_flow', 'mallory'],
      ['login failed', 'malformed_request', null],
      ['login failed', 'invalid_auth', 'bob'],
      ['login failed', 'invalid_auth', 'bob'],
      ['login failed', 'invalid_auth', 'bob'],
      ['login failed', 'banned', null],
    ]);
    expect(logged.every((line) => line.level === 30 && /^req-/.test(line.reqId ?? '') && line.ip !== undefined)).toBe(true);
    expect(new Set(logged.map((line) => line.reqId)).size).toBe(logged.length);
    const everything = lines.join('\n');
    for (const secretText of [PASSWORD, 'wrong-password', 'guess', secret]) expect(everything).not.toContain(secretText);
    // Six digits also occur in times: the code must not be a value of its own, nor in a message.
    expect(lines.flatMap((line) => Object.values(JSON.parse(line) as Record<string, unknown>))).not.toContain(code);
    expect(lines.filter((line) => line.includes(`${code}"`) || line.includes(` ${code}`))).toEqual([]);
  });
});
