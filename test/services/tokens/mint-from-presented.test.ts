/**
 * The refresh grant's hot path reads the presented token once: `mintAccessToken` starts from the
 * record `findPresented` read with its hash index (runtime/actor-handle.ts `loaded`) instead of reading
 * it again. A record that changed in between (another request, another instance) must still end right: the
 * compare-and-set loses, and the retry starts from the record now stored.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { refreshTokenService, type RefreshTokenService } from '../../../src/services/tokens/refresh-tokens.js';
import { openSqliteStore } from '../../../src/stores/sqlite/sqlite-store.js';
import type { Store } from '../../../src/stores/types.js';
import { aUser } from '../../support/fixtures.js';
import { silentLogger } from '../../support/logger.js';

describe('minting from the presented record', () => {
  let store: Store;
  let tokens: RefreshTokenService;
  let now: number;
  let loads: number;
  beforeEach(() => {
    now = 1_000_000;
    const opened = openSqliteStore({ dataDir: ':memory:', clock: () => now });
    loads = 0;
    const records = opened.refreshTokens;
    const counted = {
      load: (id: string) => ((loads += 1), records.load(id)),
      loadPresented: (hash: string) => ((loads += 1), records.loadPresented(hash)),
    };
    store = { ...opened, refreshTokens: { ...records, ...counted } };
    tokens = refreshTokenService(store, () => now, silentLogger(), '2025.6.3');
  });

  it('reads the token once for lookup and use', async () => {
    const { secret } = await tokens.create(aUser(), { clientId: 'https://app.example/', ip: null });
    now += 1000;
    const presented = await tokens.findPresented(secret);
    if (presented === null) throw new Error('token not found');
    expect(await tokens.mintAccessToken(presented.token.id, '192.168.1.20', presented)).toMatch(/^ey/);
    expect(loads).toBe(1);
    expect(await tokens.get(presented.token.id)).toMatchObject({ lastUsedAt: now, lastUsedIp: '192.168.1.20' });
  });

  it('records the use on the record as it is now when another use came in between', async () => {
    const { secret } = await tokens.create(aUser(), { clientId: 'https://app.example/', ip: null });
    const presented = await tokens.findPresented(secret);
    if (presented === null) throw new Error('token not found');
    now += 1000;
    await tokens.mintAccessToken(presented.token.id, '192.168.1.30');
    now += 1000;
    expect(await tokens.mintAccessToken(presented.token.id, '192.168.1.20', presented)).toMatch(/^ey/);
    expect(await tokens.get(presented.token.id)).toMatchObject({ lastUsedAt: now, lastUsedIp: '192.168.1.20' });
  });

  it('mints nothing when the token was revoked in between', async () => {
    const { secret } = await tokens.create(aUser(), { clientId: 'https://app.example/', ip: null });
    const presented = await tokens.findPresented(secret);
    if (presented === null) throw new Error('token not found');
    await tokens.revoke(presented.token.id, 'revoked');
    expect(await tokens.mintAccessToken(presented.token.id, '192.168.1.20', presented)).toBeNull();
  });
});
