/** Home Assistant's back-pressure rule on outbound messages (websocket_api/http.py), with a socket that writes when told to. */
import { describe, expect, it } from 'vitest';
import { HA_OUTBOUND_LIMITS, Outbound } from '../../src/ws/outbound.js';
import { manualTimers } from '../support/manual-timers.js';

function stalledSocket() {
  const written: Array<() => void> = [];
  return {
    sent: 0,
    send(_data: string, callback: () => void) {
      this.sent += 1;
      written.push(callback);
    },
    /** The client reads `count` messages. */
    drain(count: number) {
      for (const callback of written.splice(0, count)) callback();
    },
  };
}

function outbound() {
  const socket = stalledSocket();
  const timers = manualTimers({ now: 0 });
  const overflows: string[] = [];
  const out = new Outbound(socket, HA_OUTBOUND_LIMITS, timers, (detail) => overflows.push(detail));
  return { socket, timers, overflows, out };
}

describe('outbound back-pressure', () => {
  it('cancels the connection at 4096 pending messages, and sends nothing after', () => {
    const { socket, overflows, out } = outbound();
    for (let i = 0; i < 4095; i++) out.send({ i });
    expect(overflows).toEqual([]);
    out.send({ i: 4095 });
    expect(overflows).toEqual(['Reached 4096 pending messages']);
    out.send({ late: true });
    expect(socket.sent).toBe(4096);
  });

  it('cancels a connection that stays at 1024 pending or more for 10 s', () => {
    const { socket, timers, overflows, out } = outbound();
    for (let i = 0; i < 1025; i++) out.send({ i });
    timers.advance(9_999);
    socket.drain(1); // 1024 still pending
    expect(overflows).toEqual([]);
    timers.advance(1);
    expect(overflows).toEqual(['Stayed over 1024 pending messages for 10 seconds']);
  });

  it('keeps a connection whose client caught up within the 10 s, and checks again on the next peak', () => {
    const { socket, timers, overflows, out } = outbound();
    for (let i = 0; i < 1025; i++) out.send({ i });
    socket.drain(2); // 1023 pending
    timers.advance(10_000);
    expect(overflows).toEqual([]);
    expect(out.pending).toBe(1023);
    out.send({ again: 1 });
    out.send({ again: 2 });
    timers.advance(10_000);
    expect(overflows).toHaveLength(1);
  });
});
