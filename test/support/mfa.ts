/**
 * TOTP from the test's side: codes computed from the secret with otpauth (RFC 6238 defaults: SHA-1,
 * 6 digits, 30 s) at the server's fake clock, and a setup through `auth/setup_mfa` as the frontend
 * runs it. The test servers start on a step boundary, so moving the clock by STEP_MS moves one step.
 */
import { Secret, TOTP } from 'otpauth';
import { parseAuthConfig, type AuthConfig } from '../../src/auth-config.js';
import type { TestServer } from './test-server.js';
import type { TestSocket } from './ws-client.js';

export const STEP_MS = 30_000;

/** The code an authenticator app shows for `secret` at `now`. */
export function totpAt(secret: string, now: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now });
}

/** A code that matches none of the steps a login accepts at `now`. */
export function wrongCode(secret: string, now: number): string {
  const right = new Set([-1, 0, 1].map((delta) => totpAt(secret, now + delta * STEP_MS)));
  for (let n = 0; ; n += 1) {
    const candidate = String(n).padStart(6, '0');
    if (!right.has(candidate)) return candidate;
  }
}

export interface SetupForm {
  type: string;
  flow_id: string;
  description_placeholders: { code: string; url: string; qr_code: string };
}

/** Sets up `moduleId` for the socket's user; returns the secret. The setup uses up the current step. */
export async function setUpTotp(server: TestServer, socket: TestSocket, moduleId = 'totp'): Promise<string> {
  const form = (await socket.result({ type: 'auth/setup_mfa', mfa_module_id: moduleId })) as SetupForm;
  const secret = form.description_placeholders.code;
  const entry = (await socket.result({
    type: 'auth/setup_mfa',
    flow_id: form.flow_id,
    user_input: { code: totpAt(secret, server.clock.now) },
  })) as { type: string };
  if (entry.type !== 'create_entry') throw new Error(`setup of ${moduleId} not finished: ${JSON.stringify(entry)}`);
  return secret;
}

/** A configuration with two TOTP modules, `totp` (the default name) and `backup`. */
export const TWO_TOTP_MODULES: AuthConfig = parseAuthConfig(
  ['auth_mfa_modules:', '  - type: totp', '    name: Authenticator app', '  - type: totp', '    id: backup', '    name: Backup phone'].join('\n'),
  'test',
);
