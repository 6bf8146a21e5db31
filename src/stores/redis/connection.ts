/**
 * What the adapter needs of a Redis deployment, whatever its topology: commands sent to the one
 * server that takes writes, whether that is ready now, and channel subscriptions that survive
 * reconnects. Two topologies provide it:
 *
 * - one server (`REDIS_URL`): direct-connection.ts, a node-redis client;
 * - a master watched by Sentinel (`REDIS_SENTINELS`): sentinel-connection.ts, node-redis' Sentinel
 *   client, which follows the master the sentinels promote.
 *
 * The store's modules see only `StoreCommands`, so they do not know which one they run on.
 */
import type { RedisClient } from './connect.js';
import type { redisScripts } from './scripts/index.js';

/**
 * The commands and scripts the adapter sends. Both node-redis' client and its Sentinel client
 * provide them with the same signatures (the Sentinel client forwards each to the master).
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
  | 'role'
  | 'wait'
  | keyof typeof redisScripts
>;

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
  /**
   * Subscribes `listener` to `channel` on a connection of its own, kept across reconnects and
   * failovers; `listening` comes once SUBSCRIBE was answered. Returns the function that stops it.
   */
  subscribe(channel: string, listener: ChannelListener): () => void;
  /** Lets commands in flight finish (bounded), then drops every connection; a second close is a no-op. */
  close(waitMs: number): Promise<void>;
}
