import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { loginGrantMachine } from '../../machines/login-grant.js';
import { refreshTokenMachine } from '../../machines/refresh-token.js';
import { migrations, restoreSnapshot, toEnvelope, type MigrationTable, type PersistedJson } from '../../src/stores/envelope.js';

const grantInput = {
  codeId: 'c1',
  clientId: 'https://app.example/',
  credential: { id: 'cred', authProviderType: 'homeassistant', authProviderId: null, data: { username: 'alice' }, lookupKey: 'alice' },
  issuedAt: 1_000,
  codeChallenge: null,
};

describe('envelope', () => {
  it('round-trips a snapshot through JSON with its machine, version and revision', () => {
    const [issued] = initialTransition(loginGrantMachine, grantInput);
    const [redeemed] = transition(loginGrantMachine, issued, {
      type: 'REDEEM',
      now: 2_000,
      clientId: grantInput.clientId,
      refreshTokenId: 'rt1',
      proof: null,
    });
    const envelope = JSON.parse(JSON.stringify(toEnvelope('loginGrant', redeemed, 7))) as ReturnType<typeof toEnvelope>;
    expect(envelope).toMatchObject({ machine: 'loginGrant', v: 2, rev: 7 });
    const restored = restoreSnapshot('loginGrant', envelope);
    if (!restored.ok) throw new Error(restored.reason);
    expect(restored.snapshot.value).toBe('redeemed');
    expect(restored.snapshot.context).toEqual(redeemed.context);
  });

  it('refuses a record of another machine', () => {
    const [issued] = initialTransition(loginGrantMachine, grantInput);
    const restored = restoreSnapshot('refreshToken', toEnvelope('loginGrant', issued, 1));
    expect(restored).toEqual({ ok: false, reason: 'record of loginGrant, expected refreshToken' });
  });

  it('refuses a version from the future, a state the machine lacks, and malformed JSON', () => {
    const [issued] = initialTransition(loginGrantMachine, grantInput);
    const envelope = toEnvelope('loginGrant', issued, 1);
    expect(restoreSnapshot('loginGrant', { ...envelope, v: 3 })).toEqual({
      ok: false,
      reason: 'version 3 is newer than this service knows (2)',
    });
    const bogus = { ...envelope, snapshot: { ...(envelope.snapshot as PersistedJson), value: 'bogus' } };
    expect(restoreSnapshot('loginGrant', bogus)).toEqual({ ok: false, reason: "State 'bogus' does not exist on 'loginGrant'" });
    expect(restoreSnapshot('loginGrant', { ...envelope, snapshot: 'not a snapshot' })).toEqual({ ok: false, reason: 'malformed envelope' });
    expect(restoreSnapshot('loginGrant', { ...envelope, v: 1.5 })).toEqual({ ok: false, reason: 'malformed envelope' });
  });

  it('runs the migrations from an older version, and refuses one it has no migration for', () => {
    const [issued] = initialTransition(refreshTokenMachine, {
      id: 'rt', userId: 'u', clientId: 'https://app.example/', clientName: null, clientIcon: null,
      tokenType: 'normal', createdAt: 0, accessTokenExpirationS: 1800, jwtKey: 'k', credentialId: null, version: null,
    });
    const current = toEnvelope('refreshToken', issued, 3).snapshot as PersistedJson;
    // A version-0 snapshot named its state `active`, as the first issue called it.
    const old = { ...current, value: 'active' };
    const table: MigrationTable = {
      refreshToken: { ...migrations.refreshToken, 0: (s) => ({ ...s, value: s.value === 'active' ? 'issued' : s.value }) },
    };
    const envelope = { machine: 'refreshToken' as const, v: 0, rev: 3, snapshot: old };
    const migrated = restoreSnapshot('refreshToken', envelope, table);
    if (!migrated.ok) throw new Error(migrated.reason);
    expect(migrated.snapshot.value).toBe('issued');
    expect(restoreSnapshot('refreshToken', envelope, {})).toEqual({ ok: false, reason: 'no migration from version 0' });
  });

  it('reads a version-1 refresh token (before rotation) as a token of no family that can rotate', () => {
    const v1 = {
      machine: 'refreshToken' as const,
      v: 1,
      rev: 4,
      snapshot: {
        status: 'active',
        value: 'issued',
        historyValue: {},
        context: {
          id: 'rt', userId: 'u', clientId: 'https://app.example/', clientName: null, clientIcon: null, tokenType: 'normal',
          createdAt: 0, accessTokenExpirationS: 1800, jwtKey: 'k', credentialId: null, version: '2025.6.3',
          lastUsedAt: 5, lastUsedIp: '192.0.2.1', expireAt: 1_000_000, endedAt: null, endReason: null,
        },
      },
    };
    const restored = restoreSnapshot('refreshToken', v1);
    if (!restored.ok) throw new Error(restored.reason);
    expect(restored.snapshot.value).toBe('issued');
    expect(restored.snapshot.context).toMatchObject({ family: null, successorId: null, redeemedAt: null, graceUntil: null, lastUsedAt: 5 });
    const family = { id: 'rt', generation: 1, predecessorId: null, expiresAt: null };
    const [rotated] = transition(refreshTokenMachine, restored.snapshot, { type: 'ROTATE', now: 10, ip: null, successorId: 'rt2', graceMs: 60_000, family });
    expect(rotated.value).toBe('redeemed');
    expect(rotated.context).toMatchObject({ family, successorId: 'rt2', redeemedAt: 10, graceUntil: 60_010 });
  });
});
