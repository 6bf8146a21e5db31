/**
 * Outbound messages with Home Assistant's back-pressure rule (websocket_api/http.py
 * `_send_message` / `_check_write_peak`, const.py): a client that does not read its messages must
 * not make the server hold them without bound. A message is pending from `send` until the socket
 * has written it out; at `maxPending` pending messages the connection is cancelled at once, and
 * when more than `peakPending` are pending, a check `peakMs` later cancels it if there are still
 * `peakPending` or more.
 */
import type { Timers } from '../domain/timers.js';

export interface OutboundLimits {
  maxPending: number;
  peakPending: number;
  peakMs: number;
}

/** `MAX_PENDING_MSG`, `PENDING_MSG_PEAK`, `PENDING_MSG_PEAK_TIME`. */
export const HA_OUTBOUND_LIMITS: OutboundLimits = { maxPending: 4096, peakPending: 1024, peakMs: 10_000 };

/** The part of a `ws` WebSocket this needs: `send` calls back once the data is written out. */
export interface WritableSocket {
  send(data: string, callback: (error?: Error) => void): void;
}

export class Outbound {
  #pending = 0;
  #cancelPeakCheck: (() => void) | null = null;
  #stopped = false;

  constructor(
    private readonly socket: WritableSocket,
    private readonly limits: OutboundLimits,
    private readonly timers: Timers,
    /** Called once when the client cannot keep up; the owner closes the connection. */
    private readonly overflow: (detail: string) => void,
  ) {}

  get pending(): number {
    return this.#pending;
  }

  send(message: object): void {
    if (this.#stopped) return;
    this.#pending += 1;
    this.socket.send(JSON.stringify(message), () => {
      this.#pending -= 1;
    });
    const { maxPending, peakPending, peakMs } = this.limits;
    if (this.#pending >= maxPending) {
      this.#overflow(`Reached ${maxPending} pending messages`);
    } else if (this.#pending > peakPending && this.#cancelPeakCheck === null) {
      this.#cancelPeakCheck = this.timers.after(peakMs, () => {
        this.#cancelPeakCheck = null;
        if (this.#pending >= peakPending) this.#overflow(`Stayed over ${peakPending} pending messages for ${peakMs / 1000} seconds`);
      });
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelPeakCheck?.();
    this.#cancelPeakCheck = null;
  }

  #overflow(detail: string): void {
    if (this.#stopped) return;
    this.stop();
    this.overflow(detail);
  }
}
