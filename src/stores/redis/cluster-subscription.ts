/**
 * A channel subscription on a Redis Cluster: classic pub/sub on one node, whichever, since a
 * PUBLISH on any node reaches every node over the cluster bus (Redis documentation, "Redis cluster
 * specification", "Publish/Subscribe"). When the connection to that node is lost (the node died,
 * was removed) the subscription tells `interrupted` and subscribes again on another node, taking the
 * masters the cluster client knows in turn, then tells `listening` once that SUBSCRIBE was answered:
 * messages published in between may be lost (pub/sub keeps nothing).
 *
 * Each attempt is one connection without node-redis' reconnect: coming back to the node that died
 * would wait for it, when any other node serves the channel as well.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import type { Logger } from '../../domain/logger.js';
import { StoreUnavailableError } from '../types.js';
import type { ChannelListener } from './connection.js';
import { describeError, isConnectionError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { reconnectDelay } from './reconnect.js';

export interface NodeAddress {
  host: string;
  port: number;
}

/** Credentials, TLS and the connect timeout of a connection to a node. */
export interface NodeAccess {
  username?: string;
  password?: string;
  socket: { connectTimeout: number; tls?: true };
}

export interface ClusterChannelOptions {
  /** The nodes to subscribe on, the preferred first, tried in turn; read again at each attempt. */
  candidates: () => NodeAddress[];
  clientOptions: NodeAccess;
  channel: string;
  listener: ChannelListener;
  /** For logs. */
  where: string;
  logger?: Logger;
}

export interface ClusterChannel {
  stop(): void;
  /** The slot map changed: leaves the node it is on if that is no longer the first candidate (a master replaced while hung, a channel's home moved). */
  recheck(): void;
}

/** Subscribes. */
export function followClusterChannel(options: ClusterChannelOptions): ClusterChannel {
  const { channel, listener, logger } = options;
  let stopped = false;
  let current: { node: NodeAddress; destroy(): void } | undefined;

  /**
   * Subscribes on `node` and resolves once that no longer holds. 'lost': it held, then the connection
   * was lost; 'unreachable': it never held; 'refused': Redis refused it for another reason than being
   * unavailable (an ACL, a bug), which no other node would answer differently.
   */
  const holdOn = async (node: NodeAddress): Promise<'lost' | 'unreachable' | 'refused'> => {
    const connectTimeoutMs = options.clientOptions.socket.connectTimeout;
    const client = createClient({ ...options.clientOptions, socket: { ...options.clientOptions.socket, ...node, reconnectStrategy: false } });
    current = { node, destroy: () => client.destroy() };
    // An `error` listener is always attached: an EventEmitter without one would crash the process.
    client.on('error', () => undefined);
    try {
      // A node that accepts but never answers is unavailable too: the next one is tried.
      await withDeadline(client.connect(), connectTimeoutMs, () => new StoreUnavailableError(`no answer within ${connectTimeoutMs} ms`));
      await withDeadline(
        client.subscribe(channel, (message) => listener.message(message)),
        connectTimeoutMs,
        () => new StoreUnavailableError(`SUBSCRIBE not answered within ${connectTimeoutMs} ms`),
      );
    } catch (error) {
      client.destroy();
      if (stopped || isConnectionError(error)) return 'unreachable';
      logger?.error({ redis: options.where, node: `${node.host}:${node.port}`, err: describeError(error), channel }, 'Redis: subscribing failed');
      return 'refused';
    }
    if (stopped || !client.isReady) {
      client.destroy();
      return 'unreachable';
    }
    // No I/O callback runs between SUBSCRIBE's answer and here, so no loss can go unseen.
    const lost = new Promise<'lost'>((resolve) => {
      client.on('error', () => resolve('lost'));
      client.on('end', () => resolve('lost'));
    });
    listener.listening();
    const outcome = await lost;
    client.destroy();
    return outcome;
  };

  void (async () => {
    // The first candidate is preferred (the channel's home: cluster-connection.ts); the others are
    // tried in turn while it cannot be reached.
    let next = 0;
    for (let failures = 0; !stopped; ) {
      const candidates = options.candidates();
      const node = candidates[next % candidates.length];
      next += 1;
      if (node === undefined) return;
      const outcome = await holdOn(node);
      if (stopped || outcome === 'refused') return;
      if (outcome === 'lost') {
        listener.interrupted();
        next = 0;
        failures = 0;
        logger?.warn({ redis: options.where, node: `${node.host}:${node.port}`, channel }, 'Redis cluster: subscription lost; subscribing on another node');
        continue;
      }
      // Every node in turn failed: back off before the next round (the cluster may be restarting).
      failures += 1;
      if (failures % candidates.length === 0) await sleep(reconnectDelay(failures / candidates.length - 1));
    }
  })();

  return {
    stop: () => {
      stopped = true;
      current?.destroy();
    },
    recheck: () => {
      const on = current;
      const preferred = options.candidates()[0];
      // Destroying the connection ends it: the loop above tells `interrupted` and subscribes on the
      // first candidate. Left when its node is no longer the first: replaced, or no longer home.
      if (on !== undefined && (preferred === undefined || preferred.host !== on.node.host || preferred.port !== on.node.port)) on.destroy();
    },
  };
}
