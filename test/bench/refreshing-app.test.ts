/**
 * The app the bench's profiles and in-process benches refresh through (bench/refreshing-app.ts), on
 * SQLite in memory: its sessions' grants succeed, the frontend's tokens stay as they are, and a
 * rotating app's sessions are logins of the rotating client whose every grant redeems its token for
 * a successor, so that its profile measures rotations.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { refreshingApp } from '../../bench/refreshing-app.js';
import { CLIENT_ID, ROTATING_CLIENT } from '../../bench/seeding.js';
import { createSealer } from '../../src/stores/sealing/sealer.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../src/stores/types.js';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** The owner's refresh tokens, by client: how many there are, and how many of them are redeemed. */
async function tokensByClient(opened: Store): Promise<Record<string, { tokens: number; redeemed: number }>> {
  const [owner] = await opened.users.listUsers();
  const counts: Record<string, { tokens: number; redeemed: number }> = {};
  for (const { envelope } of await opened.refreshTokens.listByUser(owner?.id ?? '')) {
    const { value, context } = envelope.snapshot as { value: string; context: { clientId: string } };
    const count = (counts[context.clientId] ??= { tokens: 0, redeemed: 0 });
    count.tokens += 1;
    if (value === 'redeemed') count.redeemed += 1;
  }
  return counts;
}

describe("the bench's refreshing app", () => {
  it('refreshes the frontend\'s tokens in place', async () => {
    store = openSqliteStore({ dataDir: ':memory:', sealer: createSealer([randomBytes(32)], 'test') });
    const { app, refresh } = await refreshingApp(store, 2);
    for (let round = 0; round < 3; round++) await Promise.all([refresh(0), refresh(1)]);
    expect(await tokensByClient(store)).toEqual({ [CLIENT_ID]: { tokens: 2, redeemed: 0 } });
    await app.close();
  });

  it('with `rotating`, logs its sessions in to the rotating client, whose every grant presents the newest token and redeems it', async () => {
    store = openSqliteStore({ dataDir: ':memory:', sealer: createSealer([randomBytes(32)], 'test') });
    const { app, refresh } = await refreshingApp(store, 2, { rotating: true });
    for (let round = 0; round < 3; round++) await Promise.all([refresh(0), refresh(1)]);
    // The onboarding's token is the frontend's; each session's login and three rotations.
    expect(await tokensByClient(store)).toEqual({ [CLIENT_ID]: { tokens: 1, redeemed: 0 }, [ROTATING_CLIENT.clientId]: { tokens: 8, redeemed: 6 } });
    await app.close();
  });
});
