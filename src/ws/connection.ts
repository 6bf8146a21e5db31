/**
 * One WebSocket connection at `/api/websocket`, from `auth_required` to close
 * (websocket_api/http.py `WebSocketHandler`, ha-auth-spec §10):
 *
 * - auth phase: `auth_required` at once; the client has `authTimeoutMs` (10 s) for one text frame;
 *   a close, a binary frame or invalid JSON closes without a message; a bad message gets
 *   `auth_invalid` and a close; a valid access token gets `auth_ok`. A refused token is a failed
 *   login of the client's address and `auth_ok` a successful one (ha-auth-spec §11); a malformed
 *   message is neither, as in Home Assistant.
 * - command phase: each text frame is one message or an array of messages, handled in order; a
 *   frame that is not JSON closes the connection; a binary frame is for handlers this service does
 *   not have (ignored), an empty one closes.
 * - the session: when its refresh token ends anywhere (open-sockets.ts) or is found ended before a
 *   command, the socket closes without a message, as Home Assistant cancels it.
 *
 * Beyond Home Assistant, messages are handled one at a time per connection and reading pauses
 * while `maxQueued` frames wait, so a client that floods commands is slowed, not buffered.
 */
import type { RawData, WebSocket } from 'ws';
import { unverifiedIssuer } from '../domain/access-token.js';
import type { Logger } from '../domain/logger.js';
import type { Timers } from '../domain/timers.js';
import type { SocketSessionService } from '../services/tokens/socket-sessions.js';
import { StoreUnavailableError } from '../stores/types.js';
import type { CommandConnection, CommandHandler } from './command-registry.js';
import type { DeferredWork } from './deferred-work.js';
import { readAuthMessage } from './auth-message.js';
import { authInvalidMessage, authOkMessage, authRequiredMessage } from './messages.js';
import type { OpenSockets, SessionHolder } from './open-sockets.js';
import { Outbound, type OutboundLimits } from './outbound.js';
import { Subscriptions } from './subscriptions.js';

export interface ConnectionLimits extends OutboundLimits {
  authTimeoutMs: number;
  /** aiohttp's `heartbeat=55`: a ping this often; a socket that did not answer the last one is dropped. */
  heartbeatMs: number;
  maxQueued: number;
}

/** Failed-login accounting for this socket's client (services/bans/login-attempts.ts, bound to its address). */
export interface SocketLoginAttempts {
  failed(): Promise<void>;
  succeeded(): Promise<void>;
}

export interface ConnectionDeps {
  haVersion: string;
  /** The client's address (after trusted proxies), for `local_only` users. */
  ip: string | null;
  sessions: SocketSessionService;
  attempts: SocketLoginAttempts;
  handle: CommandHandler;
  openSockets: OpenSockets;
  deferred: DeferredWork;
  timers: Timers;
  limits: ConnectionLimits;
  logger: Logger;
}

/** Close codes (RFC 6455 §7.4.1): Home Assistant closes normally (1000) after auth and on revocation. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_TRY_AGAIN_LATER = 1013;

type Frame = { data: RawData; isBinary: boolean };

export class Connection {
  #phase: 'auth' | 'command' | 'closed' = 'auth';
  #holder: SessionHolder | null = null;
  #ended = false;
  #commands: CommandConnection | null = null;
  readonly #subscriptions = new Subscriptions();
  readonly #queue: Frame[] = [];
  #draining = false;
  readonly #outbound: Outbound;
  #cancelAuthTimeout: () => void = () => undefined;
  #stopHeartbeat: () => void = () => undefined;
  #cancelExpiryCheck: () => void = () => undefined;
  #answeredPing = true;

  constructor(
    private readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
  ) {
    this.#outbound = new Outbound(socket, deps.limits, deps.timers, (detail) => {
      deps.logger.warn({ detail }, 'websocket: client unable to keep up with pending messages');
      this.close(CLOSE_POLICY_VIOLATION, 'Too many pending messages');
    });
  }

  start(): void {
    const { socket, deps } = this;
    socket.on('message', (data, isBinary) => this.#receive({ data, isBinary }));
    socket.on('close', () => this.#closed());
    // ws closes the socket itself after a protocol error, with the code that names it (1009 for a
    // frame over the limit, 1007 for text that is not UTF-8); websocket-route.ts logs the error.
    socket.on('error', () => this.#closed());
    socket.on('pong', () => {
      this.#answeredPing = true;
    });
    this.#outbound.send(authRequiredMessage(deps.haVersion));
    this.#cancelAuthTimeout = deps.timers.after(deps.limits.authTimeoutMs, () => {
      deps.logger.info({}, 'websocket: did not receive auth message within 10 seconds');
      this.close(CLOSE_NORMAL, 'Authentication timed out');
    });
    this.#heartbeat();
  }

  /** Closes once; later calls do nothing. */
  close(code: number, reason: string): void {
    if (this.#phase === 'closed') return;
    this.#closed();
    this.socket.close(code, reason);
  }

  #closed(): void {
    this.#phase = 'closed';
    this.#outbound.stop();
    this.#cancelAuthTimeout();
    this.#stopHeartbeat();
    this.#cancelExpiryCheck();
    if (this.#holder !== null) this.deps.openSockets.remove(this.#holder);
    this.#queue.length = 0;
    this.#subscriptions.endAll();
  }

  #heartbeat(): void {
    this.#stopHeartbeat = this.deps.timers.after(this.deps.limits.heartbeatMs, () => {
      if (!this.#answeredPing) {
        this.#closed();
        this.socket.terminate();
        return;
      }
      this.#answeredPing = false;
      this.socket.ping();
      this.#heartbeat();
    });
  }

  #receive(frame: Frame): void {
    if (this.#phase === 'closed') return;
    this.#queue.push(frame);
    if (this.#queue.length >= this.deps.limits.maxQueued) this.socket.pause();
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let frame = this.#queue.shift(); frame !== undefined && this.#phase !== 'closed'; frame = this.#queue.shift()) {
        if (this.socket.isPaused && this.#queue.length < this.deps.limits.maxQueued / 2) this.socket.resume();
        await (this.#phase === 'auth' ? this.#authenticate(frame) : this.#command(frame));
      }
    } catch (error) {
      // Never `auth_invalid` for a store that cannot answer: clients discard their tokens on it.
      // A close tells them to come back, and 1013 (try again later) says why.
      if (error instanceof StoreUnavailableError) return this.close(CLOSE_TRY_AGAIN_LATER, 'Store unavailable');
      this.deps.logger.error({ err: error }, 'websocket: message handling failed');
      this.close(CLOSE_INTERNAL_ERROR, 'Internal error');
    } finally {
      this.#draining = false;
    }
  }

  #parse({ data, isBinary }: Frame): { ok: true; value: unknown } | { ok: false } {
    if (isBinary) return { ok: false };
    try {
      return { ok: true, value: JSON.parse(rawText(data)) as unknown };
    } catch {
      return { ok: false };
    }
  }

  async #authenticate(frame: Frame): Promise<void> {
    const parsed = this.#parse(frame);
    if (!parsed.ok) return this.close(CLOSE_NORMAL, 'Expected an auth message');
    const auth = readAuthMessage(parsed.value);
    if (!auth.ok) return this.#refuse(auth.message);
    const refreshTokenId = auth.accessToken === null ? null : unverifiedIssuer(auth.accessToken);
    if (auth.accessToken === null || refreshTokenId === null) return this.#refuseCredentials();
    // Registered before the check, so that an end published while it runs still reaches this socket.
    this.#holder = { refreshTokenId, sessionEnded: () => this.#sessionEnded() };
    this.deps.openSockets.add(this.#holder);
    const session = await this.deps.sessions.authenticate(auth.accessToken, this.deps.ip);
    if (session === null || session.refreshTokenId !== refreshTokenId) return this.#refuseCredentials();
    // Counted before the answer, so that a client that has read `auth_ok` finds its count reset.
    await this.deps.attempts.succeeded();
    if (this.#ended) return this.close(CLOSE_NORMAL, 'Session ended');
    this.#phase = 'command';
    this.#cancelAuthTimeout();
    this.#outbound.send(authOkMessage(this.deps.haVersion));
    this.#checkWhenDue(session.endsInMs);
  }

  /** Home Assistant's expiry sweep closes the sockets of an expired token; here each socket looks when its token is due. */
  #checkWhenDue(endsInMs: number | null): void {
    this.#cancelExpiryCheck();
    if (endsInMs === null || this.#phase === 'closed') return;
    this.#cancelExpiryCheck = this.deps.timers.after(endsInMs, () => void this.#checkExpiry());
  }

  async #checkExpiry(): Promise<void> {
    const { refreshTokenId } = this.#holder as SessionHolder;
    try {
      const session = await this.deps.sessions.current(refreshTokenId);
      // Used meanwhile, a token's expiry has moved on: look again then.
      if (session === null) this.#sessionEnded();
      else this.#checkWhenDue(session.endsInMs);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'websocket: could not check a session due to expire');
      this.#checkWhenDue(this.deps.limits.heartbeatMs);
    }
  }

  /** `auth_invalid` "Invalid access token or password": a failed login, counted before the answer leaves. */
  async #refuseCredentials(): Promise<void> {
    await this.deps.attempts.failed();
    this.#refuse('Invalid access token or password');
  }

  #refuse(message: string): void {
    this.#outbound.send(authInvalidMessage(message));
    this.close(CLOSE_NORMAL, 'Authentication failed');
  }

  /** A command being handled still gets its answer (then the socket closes): the answer of `auth/delete_refresh_token` on its own token, say. */
  #sessionEnded(): void {
    this.#ended = true;
    if (this.#phase === 'command' && !this.#draining) this.close(CLOSE_NORMAL, 'Session ended');
  }

  async #command(frame: Frame): Promise<void> {
    if (frame.isBinary) {
      // Binary frames go to handlers registered by other subsystems (first byte = handler id); there are none here.
      if (rawLength(frame.data) === 0) this.close(CLOSE_NORMAL, 'Empty binary frame');
      return;
    }
    const parsed = this.#parse(frame);
    if (!parsed.ok) return this.close(CLOSE_NORMAL, 'Invalid JSON');
    const messages = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
    const connection = this.#commandConnection();
    for (const message of messages) {
      if (this.#phase !== 'command') return;
      const outcome = await this.deps.handle(connection, message);
      if (outcome === 'closed' || this.#ended) return this.close(CLOSE_NORMAL, 'Session ended');
    }
  }

  #commandConnection(): CommandConnection {
    if (this.#commands !== null) return this.#commands;
    const { refreshTokenId } = this.#holder as SessionHolder;
    this.#commands = {
      lastId: 0,
      send: (message) => this.#outbound.send(message),
      subscriptions: this.#subscriptions,
      context: async () => {
        const session = await this.deps.sessions.current(refreshTokenId, this.deps.ip);
        if (session === null || this.#ended) return null;
        return { user: session.user, refreshTokenId, later: (ms, work) => this.deps.deferred.schedule(ms, work) };
      },
    };
    return this.#commands;
  }
}

/** ws hands frames over as Buffers (its default `binaryType`); fragments arrive joined. */
const asBuffer = (data: RawData): Buffer => (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));

const rawText = (data: RawData) => asBuffer(data).toString('utf8');

const rawLength = (data: RawData) => asBuffer(data).length;
