/**
 * A subscriber connection lost between sending SUBSCRIBE and Redis' answer. node-redis resubscribes
 * after a reconnect only channels whose SUBSCRIBE was answered, so without subscribe-channel.ts the
 * revocation bus (and the ban watch) would stay deaf for good: sockets on this instance would never
 * close for revocations made elsewhere. The cut is made exactly there by a TCP relay in front of a
 * private redis-server, which drops the connection that carries the first SUBSCRIBE before passing it on.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openRedisStore } from '../../src/stores/redis/redis-store.js';
import type { Store } from '../../src/stores/types.js';
import { freePort, killRedisServer, rawClient, startRedisServer, testSealer } from './redis-harness.js';

const WAIT = { timeout: 5_000, interval: 20 };

/** Relays connections to `port`, cutting the first one that sends a SUBSCRIBE before Redis sees it. */
async function subscribeCutter(port: number): Promise<{ url: string; cuts: () => number; close: () => void }> {
  const sockets = new Set<Socket>();
  let cuts = 0;
  const relay: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      if (cuts === 0 && /subscribe/i.test(chunk.toString('latin1'))) {
        cuts += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    url: `redis://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    cuts: () => cuts,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      relay.close();
    },
  };
}

describe('a subscriber connection lost before Redis answered SUBSCRIBE', () => {
  let redis: ChildProcess | undefined;
  let relay: Awaited<ReturnType<typeof subscribeCutter>> | undefined;
  let store: Store | undefined;
  let port = 0;

  beforeEach(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
    relay = await subscribeCutter(port);
    store = await openRedisStore({ url: relay.url, keyPrefix: 'p:', sealer: testSealer() });
  });

  afterEach(async () => {
    await store?.close();
    relay?.close();
    if (redis !== undefined) await killRedisServer(redis);
  });

  async function publishFromElsewhere(channel: string, message: string): Promise<void> {
    const other = await rawClient(`redis://127.0.0.1:${port}`);
    try {
      await other.publish(channel, message);
    } finally {
      other.destroy();
    }
  }

  it('the revocation bus subscribes again, reports the gap once, and hears later publishes', async () => {
    const opened = store as Store;
    const heard: string[] = [];
    let missed = 0;
    opened.revocations.onMissedMessages(() => (missed += 1));
    opened.revocations.subscribe((id) => heard.push(id));

    await vi.waitFor(() => expect(missed).toBe(1), WAIT);
    expect(relay?.cuts()).toBe(1);
    await publishFromElsewhere('p:revocations', JSON.stringify(['after the cut']));
    await vi.waitFor(() => expect(heard).toEqual(['after the cut']), WAIT);
    // The instance's own publishes reach it too, and the gap was reported once.
    await opened.revocations.publish(['own']);
    await vi.waitFor(() => expect(heard).toEqual(['after the cut', 'own']), WAIT);
    expect(missed).toBe(1);
  });

  it('the ban watch subscribes again and then says it is listening, and hears later changes', async () => {
    const opened = store as Store;
    const changes: string[] = [];
    let listening = 0;
    opened.loginAttempts.watchBans({
      changed: (ip, banned) => changes.push(`${banned ? '+' : '-'}${ip}`),
      listening: () => (listening += 1),
      interrupted: () => undefined,
    });

    await vi.waitFor(() => expect(listening).toBe(1), WAIT);
    expect(relay?.cuts()).toBe(1);
    await publishFromElsewhere('p:ip-ban-changes', '+203.0.113.7');
    await vi.waitFor(() => expect(changes).toEqual(['+203.0.113.7']), WAIT);
  });
});
