/**
 * Opening the Sentinel client fails fast and says why (issue 14: a bad configuration stops the
 * process within 10 s with a message naming the setting): no sentinel answered, none knows a
 * master of that name, or the master they name cannot be reached. node-redis reports each failed
 * sentinel as an `error` event and then rejects with "None of the sentinels are available", so the
 * events seen during the start are what tell these cases apart.
 */
import type { Logger } from '../../domain/logger.js';
import { StoreUnavailableError } from '../types.js';
import type { RedisConnection } from './connection.js';
import { describeError } from './connection-errors.js';
import { withDeadline } from './deadline.js';
import { createStoreSentinel, describeSentinelTarget, sentinelConnection, type SentinelTarget } from './sentinel-connection.js';

/** Which setting an operator must fix. */
export type SentinelSetting = 'sentinels' | 'masterName';

export class SentinelStartError extends StoreUnavailableError {
  constructor(
    readonly setting: SentinelSetting,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SentinelStartError';
  }
}

const UNKNOWN_MASTER = /No such master with that name/i;
const MASTER_DOWN = /no valid master/i;
const GAVE_UP = /None of the sentinels are available/i;

/** node-redis emits some of these as strings ("obseve client error: Error: connect ECONNREFUSED …"). */
function explain(target: SentinelTarget, seen: unknown[], final: unknown): SentinelStartError {
  const where = describeSentinelTarget(target);
  const messages = [...seen, final].map(describeError);
  if (messages.some((message) => UNKNOWN_MASTER.test(message))) {
    return new SentinelStartError('masterName', `no sentinel knows a master named "${target.masterName}" (${where})`, { cause: final });
  }
  if (messages.some((message) => MASTER_DOWN.test(message))) {
    return new SentinelStartError('sentinels', `the sentinels name no reachable Redis ${where}`, { cause: final });
  }
  const detail = messages.find((message) => !GAVE_UP.test(message)) ?? messages.at(-1) ?? 'no answer';
  return new SentinelStartError('sentinels', `no sentinel answered (${where}): ${detail}`, { cause: final });
}

export async function connectSentinel(target: SentinelTarget, options: { connectTimeoutMs: number; startTimeoutMs: number; logger?: Logger }): Promise<RedisConnection> {
  const where = describeSentinelTarget(target);
  const sentinel = createStoreSentinel(target, options.connectTimeoutMs);
  const seen: unknown[] = [];
  let starting = true;
  // Never removed (sentinel-connection.ts, TroubleListeners: removing a listener can orphan later
  // ones); it stops noting once the start is over, and stays as a listener of a torn-down client.
  sentinel.on('error', (error: unknown) => {
    if (starting) seen.push(error);
  });
  try {
    await withDeadline(sentinel.connect(), options.startTimeoutMs, () => new Error(`no master within ${options.startTimeoutMs} ms`));
  } catch (error) {
    await sentinel.destroy().catch(() => undefined);
    throw explain(target, seen, error);
  }
  starting = false;
  return sentinelConnection(sentinel, where, options.logger);
}
