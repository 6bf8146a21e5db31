/**
 * The one place that decides whether a failure means "Redis cannot be reached" (the service answers
 * 503, ARCHITECTURE.md "Stores") or is a bug to surface as it is (a script error, a bad reply).
 */
import {
  AbortError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  MaxCommandRedirectionsError,
  ReconnectStrategyError,
  RootNodesUnavailableError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from 'redis';
import { StoreUnavailableError } from '../types.js';

/** node-redis' own errors for a closed, offline or broken connection, or a command never sent (aborted). */
const CLIENT_CONNECTION_ERRORS = [
  AbortError,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
  // A cluster's slot map cannot be read again (no node answers), or keeps moving under a command.
  RootNodesUnavailableError,
  MaxCommandRedirectionsError,
];

/** Socket errors from Node (`net`, `dns`). */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Replies of a Redis that is up but cannot serve now: loading its data, a replica without its
 * master or promoted read-only, a long script holding it. Each passes without a code change. */
const UNAVAILABLE_REPLY_PREFIXES = ['LOADING', 'MASTERDOWN', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'READONLY'];

/**
 * node-redis' Sentinel client while it finds no master to send to (the master died and no replica is
 * promoted yet, or no sentinel answers): plain Errors, known by their words.
 */
const SENTINEL_NO_MASTER = ['no valid master node', 'None of the sentinels are available'];

export function isConnectionError(error: unknown): boolean {
  if (error instanceof StoreUnavailableError) return true;
  if (CLIENT_CONNECTION_ERRORS.some((type) => error instanceof type)) return true;
  if (error instanceof ErrorReply) return UNAVAILABLE_REPLY_PREFIXES.some((prefix) => error.message.startsWith(prefix));
  // Happy-eyeballs connects (Node 20) fail with an AggregateError of one error per address tried.
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  if (error instanceof Error && error.constructor === Error && SENTINEL_NO_MASTER.some((words) => error.message.startsWith(words))) return true;
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** A connection failure becomes StoreUnavailableError naming the operation; anything else is rethrown as is. */
export function toStoreError(operation: string, error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isConnectionError(error)) return error;
  return new StoreUnavailableError(`Redis is unavailable (${operation}): ${describeError(error)}`, { cause: error });
}
