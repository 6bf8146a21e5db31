/** The re-check after the revocation bus reconnected, when the store is not back yet. */
import { describe, expect, it } from 'vitest';
import type { SocketSessionService } from '../../src/services/tokens/socket-sessions.js';
import { StoreUnavailableError } from '../../src/stores/types.js';
import { OpenSockets } from '../../src/ws/open-sockets.js';
import { sessionRecheck } from '../../src/ws/session-recheck.js';
import { aUser } from '../support/fixtures.js';
import { silentLogger } from '../support/logger.js';

function holder(refreshTokenId: string, ended: string[]) {
  return { refreshTokenId, sessionEnded: () => ended.push(refreshTokenId) };
}

describe('session re-check', () => {
  it('ends the sessions found ended, and retries the ones it could not read until it can', async () => {
    const ended: string[] = [];
    const sockets = new OpenSockets();
    for (const id of ['gone', 'kept', 'unreadable']) sockets.add(holder(id, ended));
    let unreadableAttempts = 0;
    const sessions = {
      current: async (id: string) => {
        if (id === 'gone') return null;
        if (id === 'unreadable' && ++unreadableAttempts < 3) throw new StoreUnavailableError('not connected');
        return id === 'kept' ? { user: aUser(), refreshTokenId: id, endsInMs: null } : null;
      },
    } as unknown as SocketSessionService;
    await sessionRecheck(sessions, sockets, silentLogger(), () => false)();
    expect(ended).toEqual(['gone', 'unreadable']);
    expect(unreadableAttempts).toBe(3);
  });

  it('stops retrying when the server stops', async () => {
    const sockets = new OpenSockets();
    sockets.add(holder('unreadable', []));
    let attempts = 0;
    let stopped = false;
    const sessions = {
      current: async () => {
        attempts += 1;
        stopped = true;
        throw new StoreUnavailableError('not connected');
      },
    } as unknown as SocketSessionService;
    await sessionRecheck(sessions, sockets, silentLogger(), () => stopped)();
    expect(attempts).toBe(1);
  });
});
