/**
 * Every command of the adapter runs through `run`, which makes "Redis is down" one kind of error:
 * it refuses at once when the connection is not ready (pipelines and MULTI would otherwise wait for
 * the reconnect despite `disableOfflineQueue`), bounds the wait for an answer (below), and turns connection
 * failures into StoreUnavailableError (connection-errors.ts). `run.write` is for operations that
 * change data: with replica acknowledgements required (replica-acks.ts), it answers only once
 * enough replicas hold the write.
 */
import { ErrorReply } from 'redis';
import { StoreUnavailableError } from '../types.js';
import type { RedisConnection, StoreCommands } from './connection.js';
import { toStoreError } from './connection-errors.js';
import { withMovingDeadline } from './deadline.js';
import { replicaAcks } from './replica-acks.js';

/** The longest one operation waits for its answer, however busy Redis is. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 3_000;

/**
 * An operation gives up sooner when Redis has answered nothing on the connection for this long.
 * Redis answers in about a millisecond, so silence while commands wait means a Redis that hangs or
 * a connection that died without closing, whereas a busy Redis (a burst of thousands of commands)
 * keeps answering the earlier ones meanwhile. 0.4 s, so that a request that was part-way through its
 * work when Redis went silent still gets its 503 within a second (issue 7).
 */
export const DEFAULT_SILENCE_TIMEOUT_MS = 400;

export interface CommandLimits {
  commandTimeoutMs: number;
  silenceTimeoutMs: number;
  /** Replicas that must hold each write before it is answered (Redis `WAIT`); 0: none. */
  minReplicasAck?: number;
}

type Operation<Commands = StoreCommands> = <T>(operation: string, command: (client: Commands) => Promise<T>) => Promise<T>;

/** Runs one store operation (`operation` names it in errors, e.g. `grants.compareAndSet`). */
export interface Run extends Operation {
  /** The same, for an operation that changes data. */
  write: Operation;
}

export function guardedRun(connection: RedisConnection, limits: CommandLimits): Run {
  // When Redis last answered anything on this connection (an error reply is an answer too).
  let lastAnswerAt = performance.now();
  const answered = () => {
    lastAnswerAt = performance.now();
  };
  /**
   * `abandonable`: the operation changes data, so a command of it that the client still holds back
   * when the guard gives up must never be sent (a failover or a slot move in progress): applied
   * after its 503, a redeemed code or a revocation would land behind the client's back. A read
   * sent late changes nothing, and the abort costs about 14 µs per operation on a cluster (node-redis
   * builds a client with the signal for each), half of what a cluster's read costs otherwise.
   */
  const runOn = <Commands>(commandsOf: (abandon?: AbortSignal) => Commands, abandonable: boolean): Operation<Commands> => async (operation, command) => {
    if (!connection.isReady) {
      const state = connection.isClosed ? 'store closed' : 'not connected';
      throw new StoreUnavailableError(`Redis is unavailable (${operation}): ${state}`);
    }
    const sentAt = performance.now();
    const dueAt = () => Math.min(sentAt + limits.commandTimeoutMs, Math.max(sentAt, lastAnswerAt) + limits.silenceTimeoutMs);
    // Only where the client may hold commands back.
    const abandon = abandonable && connection.holdsCommands ? new AbortController() : undefined;
    const work = command(commandsOf(abandon?.signal)).then(
      (value) => {
        answered();
        return value;
      },
      (error: unknown) => {
        if (error instanceof ErrorReply) answered();
        throw error;
      },
    );
    try {
      return await withMovingDeadline(
        work,
        dueAt,
        () => new StoreUnavailableError(`Redis did not answer ${operation} (waited ${Math.round(performance.now() - sentAt)} ms)`),
      );
    } catch (error) {
      // A command still held back (a failover in progress) must not be applied after its 503.
      abandon?.abort();
      throw toStoreError(operation, error);
    }
  };
  // WAIT blocks the whole connection until it returns, so it must return well within the silence
  // timeout, or every operation waiting behind it would give up.
  const read = runOn((abandon) => connection.commands(abandon), false);
  const minReplicas = limits.minReplicasAck ?? 0;
  if (minReplicas > 0 && connection.serverCommands === null) throw new RangeError(`replica acknowledgements need one server to WAIT on; ${connection.where} has none`);
  const acks = connection.serverCommands === null ? null : replicaAcks(runOn(connection.serverCommands, true), { minReplicas, timeoutMs: Math.floor(limits.silenceTimeoutMs / 2) });
  return Object.assign(read, { write: acks ?? runOn((abandon) => connection.commands(abandon), true) });
}
