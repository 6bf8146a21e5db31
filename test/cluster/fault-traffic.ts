/**
 * Client traffic for the fault tests: loops that log in, exchange codes, refresh and send WebSocket
 * commands against two instances until told to stop, recording every answer with its latency and
 * everything the service acknowledged (a 200 with tokens), to be checked after the fault.
 *
 * - `code race`: a login, then its code exchanged twice at once, on both instances: the once-only
 *   rule across replicas, counted per code.
 * - `login`: a login whose code is exchanged once; its tokens are acknowledged and must survive.
 * - `refresh` (two loops): refresh grants on acknowledged refresh tokens, alternating instances.
 * - `revoke`: a login whose refresh token is then revoked (`POST /auth/revoke`) on the other
 *   instance; a 200 acknowledges the revocation, which must hold (the token refused) ever after.
 * - `ws A`, `ws B`: `auth/current_user` on a socket per instance, and now and then a long-lived
 *   token, acknowledged when the command succeeds.
 *
 * Logins go through the trusted_networks provider with `allow_bypass_login` (the flow's start answers
 * with the code), so traffic costs no bcrypt. Every request is bounded: a hang is recorded as
 * `no answer`, never waited out.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import type { TestSocket } from '../support/ws-client.js';
import type { Instance } from './instances.js';

/** The instances' CONFIG_FILE: the bypass the traffic logs in with, beside the owner's password login. */
export const TRAFFIC_CONFIG = `
auth_providers:
  - type: homeassistant
  - type: trusted_networks
    trusted_networks: [127.0.0.1]
    allow_bypass_login: true
`;

/** No request may take longer: past this it counts as hanging. */
export const REQUEST_BOUND_MS = 3_000;
/** Between iterations of a loop: a steady load that leaves the 2-core machine room to answer. */
const PACE_MS = 15;
/** Every this many WebSocket commands, one creates a long-lived token. */
const LONG_LIVED_EVERY = 8;

export interface Answer {
  loop: string;
  what: string;
  /** performance.now() when sent. */
  sentAt: number;
  ms: number;
  /** HTTP status, `ws ok` / `ws error`, or `no answer` (a hang, a reset connection). */
  status: number | 'ws ok' | 'ws error' | 'no answer';
  body: unknown;
}

async function request(instance: Instance, path: string, init: RequestInit, loop: string, what: string): Promise<Answer> {
  const sentAt = performance.now();
  try {
    const response = await fetch(`${instance.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // Not JSON: kept as text, which the checks refuse for a 503.
    }
    return { loop, what, sentAt, ms: performance.now() - sentAt, status: response.status, body };
  } catch (error) {
    return { loop, what, sentAt, ms: performance.now() - sentAt, status: 'no answer', body: String(error) };
  }
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

interface Tokens {
  access_token: string;
  refresh_token: string;
}

export class FaultTraffic {
  readonly answers: Answer[] = [];
  /** Each race code → the statuses of every exchange of it (two per race, more if retried later). */
  readonly codeExchanges = new Map<string, Array<Answer['status']>>();
  /** Acknowledged: each got a 200 (or a successful command) at some point of the run. */
  readonly refreshTokens: string[] = [];
  readonly accessTokens: string[] = [];
  readonly longLivedTokens: string[] = [];
  /** When the fault began, ended, and the first answer after it began succeeded (fault-checks.ts). */
  timeline: { faultMs: number; readyAfterMs: number; firstOkAfterFaultMs: number } | undefined;
  /** Refresh tokens whose revocation was acknowledged. */
  readonly revokedTokens: string[] = [];
  #running = true;
  /** Long-lived token names are unique per user: this run's are its own. */
  readonly #run = randomUUID().slice(0, 8);
  readonly #loops: Array<Promise<void>>;

  constructor(
    private readonly instances: [Instance, Instance],
    sockets: [TestSocket, TestSocket],
  ) {
    this.#loops = [
      this.#loop('code race', (n) => this.#codeRace(n)),
      this.#loop('login', (n) => this.#login(n)),
      this.#loop('refresh 1', (n) => this.#refresh('refresh 1', n)),
      this.#loop('refresh 2', (n) => this.#refresh('refresh 2', n + 1)),
      this.#loop('revoke', (n) => this.#revoke(n)),
      this.#loop('ws A', (n) => this.#webSocket('ws A', sockets[0], n)),
      this.#loop('ws B', (n) => this.#webSocket('ws B', sockets[1], n)),
    ];
  }

  /** Stops every loop after its current iteration. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  /** How many answers of `loop` sent at or after `since` satisfy `test`. */
  count(loop: string, since: number, test: (answer: Answer) => boolean): number {
    return this.answers.filter((answer) => answer.loop === loop && answer.sentAt >= since && test(answer)).length;
  }

  get loopNames(): string[] {
    return ['code race', 'login', 'refresh 1', 'refresh 2', 'revoke', 'ws A', 'ws B'];
  }

  /** Exchanges `code` on `instance`, recording the answer under the `code race` loop. */
  async exchange(instance: Instance, code: string, loop = 'code race'): Promise<Answer> {
    const answer = await request(instance, '/auth/token', form({ grant_type: 'authorization_code', client_id: CLIENT_ID, code }), loop, 'exchange');
    this.#record(answer);
    const statuses = this.codeExchanges.get(code);
    if (statuses !== undefined) statuses.push(answer.status);
    return answer;
  }

  async #loop(name: string, iteration: (n: number) => Promise<void>): Promise<void> {
    for (let n = 0; this.#running; n += 1) {
      await iteration(n);
      await sleep(PACE_MS);
    }
  }

  #record(answer: Answer): Answer {
    this.answers.push(answer);
    return answer;
  }

  /** A login through the bypass: the flow's start is `create_entry` with the code. */
  async #code(loop: string, instance: Instance): Promise<string | null> {
    const body = { client_id: CLIENT_ID, handler: ['trusted_networks', null], redirect_uri: REDIRECT_URI };
    const answer = this.#record(await request(instance, '/auth/login_flow', json(body), loop, 'login flow'));
    const step = answer.body as { type?: string; result?: string };
    return answer.status === 200 && step.type === 'create_entry' && typeof step.result === 'string' ? step.result : null;
  }

  async #codeRace(n: number): Promise<void> {
    const code = await this.#code('code race', this.instances[n % 2] as Instance);
    if (code === null) return;
    this.codeExchanges.set(code, []);
    await Promise.all(this.instances.map((instance) => this.exchange(instance, code)));
  }

  async #login(n: number): Promise<void> {
    const code = await this.#code('login', this.instances[n % 2] as Instance);
    if (code === null) return;
    const exchanged = await this.exchange(this.instances[(n + 1) % 2] as Instance, code, 'login');
    if (exchanged.status !== 200) return;
    const tokens = exchanged.body as Tokens;
    this.refreshTokens.push(tokens.refresh_token);
    this.accessTokens.push(tokens.access_token);
  }

  async #revoke(n: number): Promise<void> {
    const code = await this.#code('revoke', this.instances[n % 2] as Instance);
    if (code === null) return;
    const exchanged = await this.exchange(this.instances[(n + 1) % 2] as Instance, code, 'revoke');
    if (exchanged.status !== 200) return;
    const token = (exchanged.body as Tokens).refresh_token;
    const answer = this.#record(await request(this.instances[n % 2] as Instance, '/auth/revoke', form({ token }), 'revoke', 'revoke'));
    if (answer.status === 200) this.revokedTokens.push(token);
  }

  async #refresh(loop: string, n: number): Promise<void> {
    const refreshToken = this.refreshTokens[n % Math.max(1, this.refreshTokens.length)];
    if (refreshToken === undefined) return;
    const fields = { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: refreshToken };
    const answer = this.#record(await request(this.instances[n % 2] as Instance, '/auth/token', form(fields), loop, 'refresh'));
    if (answer.status === 200) this.accessTokens.push((answer.body as Tokens).access_token);
  }

  async #webSocket(loop: string, socket: TestSocket, n: number): Promise<void> {
    const longLived = n % LONG_LIVED_EVERY === LONG_LIVED_EVERY - 1;
    const command = longLived ? { type: 'auth/long_lived_access_token', client_name: `${loop} ${this.#run} ${n}`, lifespan: 1 } : { type: 'auth/current_user' };
    const sentAt = performance.now();
    let reply: Record<string, unknown>;
    try {
      reply = await socket.command(command);
    } catch (error) {
      this.#record({ loop, what: command.type, sentAt, ms: performance.now() - sentAt, status: 'no answer', body: String(error) });
      return;
    }
    const ok = reply.success === true;
    this.#record({ loop, what: command.type, sentAt, ms: performance.now() - sentAt, status: ok ? 'ws ok' : 'ws error', body: reply });
    if (ok && longLived) this.longLivedTokens.push(reply.result as string);
  }
}
