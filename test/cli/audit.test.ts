/**
 * `hass-auth audit tail|show` as a real process on both stores: a refresh token's life (created,
 * used, rotated, revoked), written by the services, read back one line per transition.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HA_VERSION } from '../../src/domain/version.js';
import { refreshTokenService } from '../../src/services/tokens/refresh-tokens.js';
import { aUser } from '../support/fixtures.js';
import { silentLogger } from '../support/logger.js';
import { FAST_HASHES, hassAuth, redisCliStore, sqliteCliStore, type CliStore } from './cli-process.js';

describe.each([sqliteCliStore, redisCliStore])('hass-auth audit ($name)', { timeout: 60_000 }, (kind) => {
  let cliStore: CliStore | undefined;
  afterEach(async () => {
    await cliStore?.cleanup();
  });

  it('shows a token\'s history and the newest entries of the trail', async () => {
    cliStore = kind.create();
    const store = await cliStore.open();
    const start = Date.UTC(2026, 10, 27, 12);
    let now = start;
    let id: string;
    let successor: string;
    try {
      const user = aUser();
      await store.users.createUser(user);
      const tokens = refreshTokenService(store, () => now, silentLogger(), HA_VERSION);
      const created = await tokens.create(user, { clientId: 'https://app.example/', ip: '192.0.2.1' });
      id = created.id;
      now += 1000;
      await tokens.mintAccessToken(id, '192.0.2.2');
      now += 1000;
      const presented = await tokens.findPresented(created.secret);
      if (presented === null) throw new Error('the token is not found by its secret');
      const rotation = await tokens.rotate(presented, created.secret, '192.0.2.3', { rotateRefreshTokens: true, graceMs: 60_000, familyLifetimeMs: null });
      if (!rotation.ok) throw new Error('rotation failed');
      successor = rotation.successor.id;
      now += 1000;
      await tokens.revoke(successor, 'revoked');
      await store.audit.tail(1); // the appends are not awaited by the services: this read comes after them
    } finally {
      await store.close();
    }
    const env = { ...cliStore.env, ...FAST_HASHES };
    const iso = (offset: number) => new Date(start + offset).toISOString();
    const shown = await hassAuth(['audit', 'show', id], env);
    expect(shown.code).toBe(0);
    const client = 'client=https://app.example/';
    expect(shown.stdout.trim().split('\n').map((line) => line.split('\t').slice(0, 5).concat(line.split('\t').slice(6)).join(' '))).toEqual([
      `${iso(0)} refreshToken ${id} create ∅→issued ${client} ip=-`,
      `${iso(1000)} refreshToken ${id} USE issued→issued ${client} ip=192.0.2.2`,
      `${iso(2000)} refreshToken ${id} ROTATE issued→redeemed ${client} ip=192.0.2.3 successorId=${successor}`,
    ]);
    // The successor is written by the exchange that names it (RefreshTokenStore.exchange), recorded after it.
    const tail = await hassAuth(['audit', 'tail', '3'], env);
    expect(tail.stdout.trim().split('\n').map((line) => line.split('\t').slice(2, 5).join(' '))).toEqual([
      `${id} ROTATE issued→redeemed`,
      `${successor} create ∅→issued`,
      `${successor} REVOKE issued→revoked`,
    ]);
    expect((await hassAuth(['audit', 'show', 'nothing-here'], env)).stdout).toBe('No audit entries\n');
    expect(await hassAuth(['audit', 'tail', 'many'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: "hass-auth: audit tail: COUNT must be a whole number above 0, not many\nRun 'hass-auth audit --help' for its commands.\n",
    });
  });
});
