/**
 * A channel subscription through node-redis' Sentinel client. Its pub/sub connection follows the
 * master: on a failover it subscribes again on the promoted one. But it says nothing when it was
 * away or when it is back, and messages published in between are lost (pub/sub keeps nothing), so
 * this subscription proves it listens by hearing itself: after anything that may have interrupted
 * it (an error of any of the client's connections, a new master: sentinel-connection.ts), it tells `interrupted` and
 * publishes probes of its own on the channel until one comes back, then tells `listening`.
 *
 * A probe is `?<nonce>`: no message of the store's channels starts with `?` (revocations are JSON
 * arrays, ban changes `+ip`/`-ip`), and every subscriber drops probes, its own and other instances'.
 * Should probes be published and never heard (a subscription the client lost for good), it
 * subscribes again.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../domain/logger.js';
import type { ChannelListener } from './connection.js';
import { describeError, isConnectionError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { reconnectDelay } from './reconnect.js';
import type { StoreSentinel, TroubleListeners } from './sentinel-connection.js';

const PROBE_MARK = '?';
/** How long a probe may take to come back before the next one. */
export const PROBE_INTERVAL_MS = 100;
/** Probes published but never heard, after which the subscription is made again. */
const RESUBSCRIBE_AFTER_PROBES = 20;

type State = 'starting' | 'listening' | 'interrupted' | 'stopped';

/** Subscribes `listener` to `channel`; returns the function that stops it. */
export function followChannel(sentinel: StoreSentinel, troubles: TroubleListeners, channel: string, listener: ChannelListener, logger?: Logger): () => void {
  const nonce = randomUUID();
  let state: State = 'starting';
  let probing = false;
  let awaitedProbe: { text: string; heard: () => void } | undefined;

  const onMessage = (message: string | Buffer) => {
    const text = message.toString();
    if (!text.startsWith(PROBE_MARK)) return listener.message(text);
    if (text === awaitedProbe?.text) awaitedProbe.heard();
  };

  const subscribe = async (): Promise<boolean> => {
    for (let attempt = 0; state !== 'stopped'; attempt += 1) {
      try {
        await sentinel.subscribe(channel, onMessage);
        return true;
      } catch (error) {
        if (!isConnectionError(error)) {
          logger?.error({ err: describeError(error), channel }, 'Redis: subscribing failed');
          return false;
        }
      }
      await sleep(reconnectDelay(attempt));
    }
    return false;
  };

  /** Publishes one probe; true when it came back within the interval. */
  const probe = async (n: number): Promise<boolean> => {
    const text = `${PROBE_MARK}${nonce}:${n}`;
    const heard = new Promise<void>((resolve) => {
      awaitedProbe = { text, heard: resolve };
    });
    try {
      const client = sentinel.withCommandOptions({ timeout: 0, abortSignal: AbortSignal.timeout(PROBE_INTERVAL_MS) });
      await withDeadline(client.publish(channel, text), PROBE_INTERVAL_MS, () => new Error('probe not published'));
      await withDeadline(heard, PROBE_INTERVAL_MS, () => new Error('probe not heard'));
      return true;
    } catch {
      return false;
    } finally {
      awaitedProbe = undefined;
    }
  };

  const probeUntilHeard = async () => {
    if (probing) return;
    probing = true;
    try {
      for (let n = 1; state === 'interrupted'; n += 1) {
        if (await probe(n)) {
          if (state !== 'interrupted') return;
          state = 'listening';
          listener.listening();
          return;
        }
        if (n % RESUBSCRIBE_AFTER_PROBES === 0 && sentinel.isReady) {
          await sentinel.unsubscribe(channel, onMessage).catch(() => undefined);
          await subscribe();
        }
        await sleep(PROBE_INTERVAL_MS);
      }
    } finally {
      probing = false;
    }
  };

  const trouble = () => {
    if (state === 'stopped' || state === 'starting') return;
    if (state === 'listening') {
      state = 'interrupted';
      listener.interrupted();
    }
    void probeUntilHeard();
  };
  troubles.add(trouble);

  void subscribe().then((subscribed) => {
    if (!subscribed || state !== 'starting') return;
    state = 'listening';
    listener.listening();
  });

  return () => {
    state = 'stopped';
    troubles.delete(trouble);
    void sentinel.unsubscribe(channel, onMessage).catch(() => undefined);
  };
}
