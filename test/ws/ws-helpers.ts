/** Pieces shared by the WebSocket suites: users with tokens, and the result shapes Home Assistant sends. */
import { addUserWithLogin } from '../http/http-helpers.js';
import type { User } from '../../src/domain/models.js';
import { type TestServer } from '../support/test-server.js';
import { exchangeCode, logIn } from '../support/http-client.js';

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** Logs `username` in through the login flow and exchanges the code, as the frontend does. */
export async function tokensOf(server: TestServer, username: string, password: string): Promise<Tokens> {
  const flow = await logIn(server, username, password);
  if (flow.result === undefined) throw new Error(`login of ${username} failed: ${JSON.stringify(flow)}`);
  return (await (await exchangeCode(server, flow.result)).json()) as Tokens;
}

/** A user of `system-users` (not admin, not owner) with a password login and its first tokens. */
export async function aLoggedInUser(server: TestServer, username: string, overrides: Partial<User> = {}) {
  const user = await addUserWithLogin(server, username, `${username}-password`, overrides);
  return { user, tokens: await tokensOf(server, username, `${username}-password`) };
}

export const success = (id: number, result: unknown) => ({ id, type: 'result', success: true, result });

export const failure = (id: number, code: string, message: string) => ({ id, type: 'result', success: false, error: { code, message } });

/** The claims of a JWT, unverified. */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}
