/**
 * A WebSocket client for the tests of `/api/websocket`, over `ws`: it keeps every message the server
 * sends in arrival order, so a test reads them one by one (`next`), and it records how the socket
 * closed. Every wait is bounded, so a missing message fails the test instead of hanging it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import WebSocket, { type ClientOptions } from 'ws';
import type { TestServer } from './test-server.js';

export type Message = Record<string, unknown>;

export interface Closed {
  code: number;
  reason: string;
}

const WAIT_MS = 5000;

export class TestSocket {
  readonly #messages: Message[] = [];
  readonly #waiting: Array<(message: Message) => void> = [];
  #nextId = 1;
  readonly closed: Promise<Closed>;
  closedAt: number | null = null;
  /** The headers of the server's `101 Switching Protocols` (a balancer's own among them). */
  upgradeHeaders: IncomingHttpHeaders = {};

  private constructor(readonly socket: WebSocket) {
    socket.once('upgrade', (response) => (this.upgradeHeaders = response.headers));
    socket.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as Message;
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#messages.push(message);
      else waiter(message);
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closedAt = performance.now();
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  static async open(baseUrl: string, options: ClientOptions = {}): Promise<TestSocket> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/websocket`, options);
    const client = new TestSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Opens a socket and completes the handshake with this access token. */
  static async authenticated(server: Pick<TestServer, 'baseUrl'>, accessToken: string, options: ClientOptions = {}): Promise<TestSocket> {
    const client = await TestSocket.open(server.baseUrl, options);
    await client.next(); // auth_required
    client.send({ type: 'auth', access_token: accessToken });
    const reply = await client.next();
    if (reply.type !== 'auth_ok') throw new Error(`handshake failed: ${JSON.stringify(reply)}`);
    return client;
  }

  /** The next message from the server. */
  next(ms = WAIT_MS): Promise<Message> {
    const queued = this.#messages.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(settle), 1);
        reject(new Error(`no message within ${ms} ms`));
      }, ms);
      const settle = (message: Message) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.#waiting.push(settle);
    });
  }

  /** Messages received and not read yet. */
  get unread(): Message[] {
    return [...this.#messages];
  }

  send(data: unknown): void {
    this.socket.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
  }

  /** Sends a command with the next id and returns the answer to it. */
  async command(message: Message): Promise<Message> {
    const id = this.#nextId++;
    this.send({ id, ...message });
    const reply = await this.next();
    if (reply.id !== id) throw new Error(`expected the answer to ${id}, got ${JSON.stringify(reply)}`);
    return reply;
  }

  /**
   * Sends a command and reads on to its answer, past the events of subscriptions that arrive first
   * (a subscription's events may still be on their way when it is ended); returns both.
   */
  async commandPast(message: Message): Promise<{ reply: Message; events: Message[] }> {
    const id = this.#nextId++;
    this.send({ id, ...message });
    const events: Message[] = [];
    for (let reply = await this.next(); ; reply = await this.next()) {
      if (reply.id === id && reply.type !== 'event') return { reply, events };
      if (reply.type !== 'event') throw new Error(`expected the answer to ${id}, got ${JSON.stringify(reply)}`);
      events.push(reply);
    }
  }

  /** The `result` of a command that must succeed. */
  async result(message: Message): Promise<unknown> {
    const reply = await this.command(message);
    if (reply.success !== true) throw new Error(`${String(message.type)} failed: ${JSON.stringify(reply)}`);
    return reply.result;
  }

  /** How the socket closed, failing after `ms`. */
  async closedWithin(ms = WAIT_MS): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.socket.close();
  }
}
