/**
 * What the adapter needs of a Redis deployment, whatever its topology: commands sent to the one
 * server that takes writes, whether that is ready now, and channel subscriptions that survive
 * reconnects. Two topologies provide it:
 *
 * - one server (`REDIS_URL`): direct-connection.ts, a node-redis client;
 * - a master watched by Sentinel (`REDIS_SENTINELS`): sentinel-connection.ts, node-redis' Sentinel
 *   client, which follows the master the sentinels promote;
 * - a Redis Cluster (`REDIS_CLUSTER_NODES`, issue 15): cluster-connection.ts, node-redis' cluster
 *   client, which sends each command to the master of its first key's slot.
 *
 * The store's modules see only `StoreCommands`, so they do not know which one they run on.
 */
import type { RedisClient } from './connect.js';
import type { redisScripts } from './scripts/index.js';

/**
 * The commands and scripts the adapter sends. node-redis' client, its Sentinel client and its
 * cluster client provide them with the same signatures (the Sentinel client forwards each to the
 * master; the cluster client each to the master of its first key's slot, and SCAN to every master
 * in turn behind a cursor of its own, its "cluster-wide SCAN").
 */
export type StoreCommands = Pick<
  RedisClient,
  | 'get'
  | 'set'
  | 'del'
  | 'hGet'
  | 'hDel'
  | 'hExists'
  | 'hGetAll'
  | 'hKeys'
  | 'hSetNX'
  | 'hVals'
  | 'hmGet'
  | 'lRange'
  | 'mGet'
  | 'sMembers'
  | 'scan'
  | 'xRevRange'
  | 'ping'
  | 'publish'
  | keyof typeof redisScripts
>;

/**
 * ROLE and WAIT are about the one server a connection writes to (replica-acks.ts). A cluster has
 * no such server: a write goes to the master of its slot, and node-redis' cluster client would send
 * ROLE to a random node and WAIT to every master.
 */
export type ServerCommands = StoreCommands & Pick<RedisClient, 'role' | 'wait'>;

/** One master, for walks over the whole keyspace (every master of a cluster holds a part of it). */
export interface ScanTarget {
  /** `host:port`, for messages and logs. */
  readonly where: string;
  scan: RedisClient['scan'];
  scanIterator(options?: { MATCH?: string; COUNT?: number; TYPE?: string }): AsyncIterable<string[]>;
}

/** Told what happens to one channel subscription. */
export interface ChannelListener {
  message(text: string): void;
  /** The subscription may be missing messages from now on (the connection was lost, a failover began). */
  interrupted(): void;
  /**
   * The subscription is in place: every later message will be heard. Called once it first is, and
   * again after each `interrupted`, when messages published meanwhile may have been lost (pub/sub
   * keeps nothing for a subscriber that is away).
   */
  listening(): void;
}

export interface RedisConnection {
  /** Where Redis is, for messages and logs (never credentials). */
  readonly where: string;
  /** False while commands would certainly fail (disconnected, reconnecting, closed). */
  readonly isReady: boolean;
  /** True once `close` began. */
  readonly isClosed: boolean;
  /**
   * The commands of one operation. `abandon`: once it aborts, the operation's commands that were
   * not sent yet never will be (the guard gave up on them and answered 503), where a topology can
   * hold commands back (the Sentinel client during a failover) rather than refusing them at once.
   */
  commands(abandon?: AbortSignal): StoreCommands;
  /** Whether `commands` can hold commands back, so that the guard must abort what it gives up on. */
  readonly holdsCommands: boolean;
  /** `commands` with ROLE and WAIT where every write goes to one server; null on a cluster. */
  readonly serverCommands: ((abandon?: AbortSignal) => ServerCommands) | null;
  /** Every master, each once: one for one server or Sentinel, one per master of a cluster. */
  masters(): Promise<ScanTarget[]>;
  /**
   * Subscribes `listener` to `channel` on a connection of its own, kept across reconnects and
   * failovers; `listening` comes once SUBSCRIBE was answered. Returns the function that stops it.
   */
  subscribe(channel: string, listener: ChannelListener): () => void;
  /** Lets commands in flight finish (bounded), then drops every connection; a second close is a no-op. */
  close(waitMs: number): Promise<void>;
}
