/**
 * The Redis adapter's connection rules, without a server: how long it waits between reconnect
 * attempts (forever, once open), which failures count as "Redis is unavailable", and what the
 * revocation channel accepts.
 */
import { describe, expect, it } from 'vitest';
import { ClientOfflineError, ErrorReply, SocketClosedUnexpectedlyError } from 'redis';
import { isConnectionError, toStoreError } from '../../src/stores/redis/connection-errors.js';
import { MAX_RETRY_MS, reconnectDelay, reconnectStrategy } from '../../src/stores/redis/reconnect.js';
import { parseRevocationMessage } from '../../src/stores/redis/revocation-bus.js';
import { StoreUnavailableError } from '../../src/stores/types.js';

describe('redis reconnect strategy', () => {
  it('backs off exponentially to a cap and never gives up once the store has opened', () => {
    const strategy = reconnectStrategy(() => true);
    const ceiling = (retries: number) => reconnectDelay(retries, () => 1);
    expect([0, 1, 2, 3].map(ceiling)).toEqual([50, 100, 200, 400]);
    expect(ceiling(10)).toBe(MAX_RETRY_MS);
    expect(ceiling(1_000_000)).toBe(MAX_RETRY_MS);
    expect(reconnectDelay(1_000_000, () => 0)).toBe(MAX_RETRY_MS / 2);
    for (const retries of [0, 5, 100, 100_000]) expect(strategy(retries)).toBeLessThanOrEqual(MAX_RETRY_MS);
  });

  it('stops at the first failure before the store has opened, so that the open fails fast', () => {
    expect(reconnectStrategy(() => false)(0)).toBe(false);
  });
});

describe('redis connection errors', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

  it('counts a closed, offline or refused connection and a loading Redis as unavailable', () => {
    expect(isConnectionError(new ClientOfflineError())).toBe(true);
    expect(isConnectionError(new SocketClosedUnexpectedlyError())).toBe(true);
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new AggregateError([refused]))).toBe(true);
    expect(isConnectionError(new ErrorReply('LOADING Redis is loading the dataset in memory'))).toBe(true);
  });

  it('lets a script error or a bug through as it is', () => {
    const scriptError = new ErrorReply('ERR user_script:1: Script attempted to access nonexistent global variable');
    expect(isConnectionError(scriptError)).toBe(false);
    expect(toStoreError('grants.load', scriptError)).toBe(scriptError);
    const bug = new TypeError('x is undefined');
    expect(toStoreError('grants.load', bug)).toBe(bug);
  });

  it('names the operation in the StoreUnavailableError it makes', () => {
    const error = toStoreError('grants.load', new ClientOfflineError());
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/^Redis is unavailable \(grants\.load\)/);
  });
});

describe('redis revocation messages', () => {
  it('reads a JSON array of ids and ignores anything else', () => {
    expect(parseRevocationMessage('["a","b"]')).toEqual(['a', 'b']);
    expect(parseRevocationMessage('not json')).toBeNull();
    expect(parseRevocationMessage('{"id":"a"}')).toBeNull();
    expect(parseRevocationMessage('[1]')).toBeNull();
  });
});
