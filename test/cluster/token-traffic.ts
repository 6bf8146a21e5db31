/**
 * Client traffic against one service process that may die at any moment, with a ledger of what the
 * service answered 200 to: what a client holds, and so what must survive a crash. Each worker loops
 * on one session's life as the Home Assistant frontend and scripts live it: a login flow (bcrypt),
 * the code exchange, refreshes, a long-lived token made over the WebSocket, and for every other
 * session a revocation. Only answers received count; a request cut off by the crash is forgotten,
 * except a revocation, whose token is then marked as in doubt.
 */
import { issuerOf } from '../http/token-client.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { type Instance } from './instances.js';
import { exchangeCode, postForm, postJson, refreshGrant } from '../support/http-client.js';

export const OWNER = { name: 'Alice', username: 'alice', password: 'correct horse battery staple', language: 'en' };

export interface Session {
  code: string;
  refreshToken: string;
  /** The refresh token's record id (its access tokens' `iss`). */
  tokenId: string;
  accessTokens: string[];
  /** `sent`: the revocation was cut off by the crash, so whether it happened is unknown. */
  revocation: 'none' | 'sent' | 'answered';
}

export interface LongLivedToken {
  accessToken: string;
  tokenId: string;
}

export interface Ledger {
  sessions: Session[];
  longLived: LongLivedToken[];
}

type Target = Pick<Instance, 'baseUrl'>;

/** An answer the service must not give: never mistaken for the crash cutting a request off. */
export class UnexpectedAnswer extends Error {
  override name = 'UnexpectedAnswer';
}

async function json<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (response.status !== 200) throw new UnexpectedAnswer(`${what}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** A session from a code that the ledger has not seen yet. */
export async function redeem(target: Target, code: string): Promise<Session> {
  const tokens = await json<Tokens>(await exchangeCode(target, code), 'code exchange');
  return { code, refreshToken: tokens.refresh_token, tokenId: issuerOf(tokens.access_token), accessTokens: [tokens.access_token], revocation: 'none' };
}

async function logIn(target: Target): Promise<string> {
  const started = await json<{ flow_id: string }>(
    await postJson(target, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI }),
    'flow start',
  );
  const done = await json<{ type: string; result?: string }>(
    await postJson(target, `/auth/login_flow/${started.flow_id}`, { client_id: CLIENT_ID, username: OWNER.username, password: OWNER.password }),
    'flow step',
  );
  if (done.type !== 'create_entry' || done.result === undefined) throw new UnexpectedAnswer(`flow step: ${JSON.stringify(done)}`);
  return done.result;
}

async function makeLongLived(target: Target, accessToken: string, clientName: string): Promise<LongLivedToken> {
  const socket = await TestSocket.authenticated(target, accessToken);
  try {
    const cutOff = socket.closed.then((closed) => Promise.reject(new Error(`socket closed with ${closed.code}`)));
    const token = await Promise.race([socket.result({ type: 'auth/long_lived_access_token', client_name: clientName, lifespan: 1 }), cutOff]);
    if (typeof token !== 'string') throw new UnexpectedAnswer(`long-lived token: ${JSON.stringify(token)}`);
    return { accessToken: token, tokenId: issuerOf(token) };
  } finally {
    socket.close();
  }
}

export interface Traffic {
  /** Requests sent and not answered yet. */
  inFlight(): number;
  /** Resolves when every worker has stopped; rejects with the first answer the service must not give. */
  done: Promise<void>;
}

/**
 * Starts `workers` loops against `target` until `isDown()` (set by the caller before it kills the
 * process): from then on a failed request ends its loop quietly, before it fails the traffic.
 */
export function startTraffic(target: Target, ledger: Ledger, workers: number, label: string, isDown: () => boolean): Traffic {
  let pending = 0;
  const track = async <T>(request: Promise<T>): Promise<T> => {
    pending += 1;
    try {
      return await request;
    } finally {
      pending -= 1;
    }
  };
  const session = async (name: string) => {
    const code = await track(logIn(target));
    const current = await track(redeem(target, code));
    ledger.sessions.push(current);
    for (let i = 0; i < 3; i += 1) {
      const tokens = await track(refreshGrant(target, current.refreshToken).then((response) => json<Tokens>(response, 'refresh')));
      current.accessTokens.push(tokens.access_token);
    }
    ledger.longLived.push(await track(makeLongLived(target, current.accessTokens.at(-1) ?? '', name)));
    if (ledger.sessions.length % 2 === 0) {
      current.revocation = 'sent';
      const revoked = await track(postForm(target, '/auth/revoke', { token: current.refreshToken }));
      if (revoked.status !== 200) throw new UnexpectedAnswer(`revoke: ${revoked.status}`);
      current.revocation = 'answered';
    }
  };
  const loop = async (worker: number) => {
    for (let round = 0; !isDown(); round += 1) {
      try {
        await session(`script ${label}-${worker}-${round}`);
      } catch (error) {
        if (isDown() && !(error instanceof UnexpectedAnswer)) return;
        throw error;
      }
    }
  };
  return { inFlight: () => pending, done: Promise.all(Array.from({ length: workers }, (_, worker) => loop(worker))).then(() => undefined) };
}
