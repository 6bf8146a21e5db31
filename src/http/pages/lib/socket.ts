/**
 * The WebSocket API as the signed-in pages speak it (ha-auth-spec §10): the `auth` handshake with the
 * session's access token (a fresh one from the refresh token when it is refused), commands with
 * increasing ids, the events of subscriptions, and a new connection, with backoff, when the socket
 * closes. A session that has ended (its refresh token revoked) is the page's to handle: `ended`.
 */
import { accessToken, renewAccessToken } from './session.js';

export type Answer = { success: true; result: unknown } | { success: false; error: { code: string; message: string } };

export interface SocketHooks {
  /** Authenticated (again, after a reconnect): the page loads what it shows. */
  ready(): Promise<void>;
  status(text: string): void;
  /** The session cannot be used any more: the page signs in again. */
  ended(): void;
}

interface Message {
  id?: number;
  type?: string;
  success?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  event?: unknown;
}

/** A command's error answer, thrown by `result`: its message is Home Assistant's words, fit to show. */
export class CommandRefused extends Error {
  readonly code: string;

  constructor(error: { code: string; message: string }) {
    super(error.message);
    this.name = 'CommandRefused';
    this.code = error.code;
  }
}

const LOST_ERROR = { code: 'connection_lost', message: 'The connection to the server was lost; try again.' };
const LOST: Answer = { success: false, error: LOST_ERROR };
const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;

export class CommandSocket {
  readonly #hooks: SocketHooks;
  #socket: WebSocket | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, (answer: Answer) => void>();
  readonly #events = new Map<number, (event: unknown) => void>();
  #retryMs = FIRST_RETRY_MS;

  constructor(hooks: SocketHooks) {
    this.#hooks = hooks;
  }

  open(): void {
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/websocket`);
    this.#socket = socket;
    this.#nextId = 1;
    this.#events.clear();
    socket.addEventListener('message', (frame: MessageEvent<string>) => {
      if (socket === this.#socket) void this.#receive(JSON.parse(frame.data) as Message);
    });
    socket.addEventListener('close', () => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      this.#failPending();
      this.#hooks.status('Disconnected; connecting again…');
      setTimeout(() => this.open(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
    });
  }

  /** Closes the socket for good (signing out, or a page that cannot be used). */
  close(): void {
    const socket = this.#socket;
    this.#socket = null;
    this.#failPending();
    socket?.close();
  }

  get connected(): boolean {
    return this.#socket !== null;
  }

  call(type: string, fields: Record<string, unknown> = {}): Promise<Answer> {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) return Promise.resolve(LOST);
    const id = this.#nextId++;
    socket.send(JSON.stringify({ ...fields, id, type }));
    return new Promise((resolve) => this.#pending.set(id, resolve));
  }

  /** The result of a command that must succeed; its error answer is thrown as CommandRefused. */
  async result<T>(type: string, fields: Record<string, unknown> = {}): Promise<T> {
    const answer = await this.call(type, fields);
    if (!answer.success) throw new CommandRefused(answer.error);
    return answer.result as T;
  }

  /** A subscribing command: its events go to `onEvent`, registered before the first can arrive. */
  subscribe(type: string, onEvent: (event: unknown) => void, fields: Record<string, unknown> = {}): Promise<Answer> {
    this.#events.set(this.#nextId, onEvent);
    return this.call(type, fields);
  }

  #failPending(): void {
    for (const resolve of this.#pending.values()) resolve(LOST);
    this.#pending.clear();
  }

  async #receive(message: Message): Promise<void> {
    const socket = this.#socket;
    if (socket === null) return;
    if (message.type === 'auth_required') {
      socket.send(JSON.stringify({ type: 'auth', access_token: accessToken() }));
    } else if (message.type === 'auth_invalid') {
      // The access token expired or its session ended: a new one, or the end of the session.
      this.#socket = null;
      socket.close();
      if ((await renewAccessToken()) === null) this.#hooks.ended();
      else this.open();
    } else if (message.type === 'auth_ok') {
      this.#retryMs = FIRST_RETRY_MS;
      await this.#hooks.ready();
    } else if (message.type === 'event' && message.id !== undefined) {
      this.#events.get(message.id)?.(message.event);
    } else if (message.id !== undefined) {
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(message.success === true ? { success: true, result: message.result } : { success: false, error: message.error ?? LOST_ERROR });
    }
  }
}
