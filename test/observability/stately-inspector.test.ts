/**
 * The Stately inspector (STATELY_INSPECT_URL, src/observability/stately-inspector.ts): a WebSocket
 * server of the test's stands where the inspector server would, and hears a session (onboarding, a
 * login with PKCE, the code exchange, a refresh, an MFA setup, a revocation) as XState's inspection
 * events: each record registered as an actor with its machine, each transition's event and
 * snapshot, in order. No secret the session handled is in any frame: not the password, the code,
 * the PKCE verifier or challenge, a token, a JWT key or the MFA secret.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { sha256Hex } from '../../src/domain/ids.js';
import { restoreSnapshot } from '../../src/stores/envelope.js';
import { openFlow, submitStep } from '../http/http-helpers.js';
import { totpAt, type SetupForm } from '../support/mfa.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { claimsOf } from '../ws/ws-helpers.js';
import { onboardOwner, postForm, refreshGrant } from '../support/http-client.js';

const PASSWORD = 'secret-password';
const VERIFIER = 'a-pkce-verifier-of-the-test-0123456789-abcdefghijklmnop';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

interface Frame {
  type: string;
  sessionId: string;
  name?: string;
  definition?: string;
  event?: { type: string; [key: string]: unknown };
  snapshot?: { value?: unknown; status?: string; context?: Record<string, unknown> };
}

let inspectorEndpoint: WebSocketServer;
let frames: string[];
let server: TestServer;

beforeEach(async () => {
  frames = [];
  inspectorEndpoint = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  inspectorEndpoint.on('connection', (socket) => socket.on('message', (data) => frames.push((data as Buffer).toString('utf8'))));
  await new Promise((resolve) => inspectorEndpoint.once('listening', resolve));
  const { port } = inspectorEndpoint.address() as AddressInfo;
  server = await startTestServer('sqlite', undefined, { statelyInspectUrl: `ws://127.0.0.1:${port}` });
});
afterEach(async () => {
  await server.close();
  await new Promise((resolve) => inspectorEndpoint.close(resolve));
});

const parsed = () => frames.map((frame) => JSON.parse(frame) as Frame);
/** Per record: its registration's machine and state, then every transition's event and state. */
function story(sessionId: string): string[] {
  return parsed()
    .filter((frame) => frame.sessionId === sessionId)
    .flatMap((frame) => {
      if (frame.type === '@xstate.actor') return [`actor ${frame.name} ${String(frame.snapshot?.value)}`];
      if (frame.type === '@xstate.event') return [`event ${frame.event?.type}`];
      return [`snapshot ${String(frame.snapshot?.value)} after ${frame.event?.type}`];
    });
}

it('streams every record of a login, refresh, MFA setup and revocation, and no secret', async () => {
  const owner = await onboardOwner(server, 'alice', PASSWORD);
  const flowId = await openFlow(server, { code_challenge: CHALLENGE, code_challenge_method: 'S256' });
  const done = (await (await submitStep(server, flowId, { username: 'alice', password: PASSWORD })).json()) as { result: string };
  const code = done.result;
  const exchanged = await postForm(server, '/auth/token', { grant_type: 'authorization_code', client_id: CLIENT_ID, code, code_verifier: VERIFIER });
  expect(exchanged.status).toBe(200);
  const tokens = (await exchanged.json()) as { access_token: string; refresh_token: string };
  server.clock.now += 1000; // a use at the same instant changes nothing, and writes nothing
  const refreshed = (await (await refreshGrant(server, tokens.refresh_token)).json()) as { access_token: string };
  const socket = await TestSocket.authenticated(server, refreshed.access_token);
  const form = (await socket.result({ type: 'auth/setup_mfa', mfa_module_id: 'totp' })) as SetupForm;
  const mfaSecret = form.description_placeholders.code;
  await socket.result({ type: 'auth/setup_mfa', flow_id: form.flow_id, user_input: { code: totpAt(mfaSecret, server.clock.now) } });
  socket.close();
  expect((await postForm(server, '/auth/revoke', { token: tokens.refresh_token })).status).toBe(200);
  const tokenId = claimsOf(tokens.access_token).iss as string;

  await vi.waitFor(() => expect(story(tokenId)).toContain('snapshot revoked after REVOKE'), { timeout: 10_000, interval: 20 });
  expect(story(flowId)).toEqual([
    'actor loginFlow credentials',
    'event CREDENTIALS_ACCEPTED',
    'snapshot done after CREDENTIALS_ACCEPTED',
  ]);
  expect(story(sha256Hex(code))).toEqual(['actor loginGrant issued', 'event REDEEM', 'snapshot redeemed after REDEEM']);
  expect(story(tokenId)).toEqual([
    'actor refreshToken issued',
    'event USE',
    'snapshot issued after USE',
    'event REVOKE',
    'snapshot revoked after REVOKE',
  ]);
  expect(story(form.flow_id)).toEqual(['actor mfaSetupFlow awaiting_code', 'event SUBMIT_CODE', 'snapshot confirmed after SUBMIT_CODE']);

  // Each actor carries its machine's definition; contexts and events keep their allowlisted fields.
  const registration = parsed().find((frame) => frame.type === '@xstate.actor' && frame.sessionId === tokenId);
  expect(JSON.parse(registration?.definition ?? '{}')).toMatchObject({ id: 'refreshToken', initial: 'issued' });
  const revoked = parsed().find((frame) => frame.type === '@xstate.snapshot' && frame.sessionId === tokenId && frame.event?.type === 'REVOKE');
  const ownerId = (await server.store.users.findCredential('homeassistant', null, 'alice'))?.userId;
  expect(revoked?.snapshot?.context).toMatchObject({ userId: ownerId, clientId: CLIENT_ID, tokenType: 'normal', endReason: 'revoked' });
  expect(revoked?.event).toEqual({ type: 'REVOKE', now: server.clock.now, reason: 'revoked' });
  const redeem = parsed().find((frame) => frame.type === '@xstate.event' && frame.event?.type === 'REDEEM');
  expect(Object.keys(redeem?.event ?? {}).sort()).toEqual(['clientId', 'now', 'refreshTokenId', 'type']);

  const secrets = [PASSWORD, code, VERIFIER, CHALLENGE, mfaSecret, owner.access_token, owner.refresh_token, tokens.access_token, tokens.refresh_token, refreshed.access_token];
  for (const id of [tokenId, claimsOf(owner.access_token).iss as string]) {
    const envelope = await server.store.refreshTokens.load(id);
    const restored = envelope === null ? null : restoreSnapshot('refreshToken', envelope);
    if (restored?.ok !== true) throw new Error(`no token ${id}`);
    secrets.push(restored.snapshot.context.jwtKey);
  }
  expect(secrets.every((secret) => secret.length >= 15)).toBe(true);
  const text = frames.join('\n');
  for (const secret of secrets) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/jwt_?key|codeChallenge|"proof"|"secret"/i);
});
