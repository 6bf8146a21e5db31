/**
 * Login flows stored before trusted_networks (v2, and v1 before PKCE) read as flows that offer no
 * users: every such flow was a homeassistant one (src/stores/envelope.ts).
 */
import { describe, expect, it } from 'vitest';
import { LOGIN_FLOW_VERSION } from '../../machines/login-flow.js';
import { restoreSnapshot } from '../../src/stores/envelope.js';

const v1Context = {
  flowId: 'f1',
  handler: ['homeassistant', null],
  clientId: 'https://app.example/',
  redirectUri: 'https://app.example/cb',
  ipAddress: '192.0.2.10',
  credentialOnly: false,
  createdAt: 1_000,
  error: 'invalid_auth',
  credential: null,
  userId: null,
  mfaModules: [],
  mfaModuleId: null,
  invalidMfaCodes: 0,
  abortReason: null,
};

const stored = (v: number, context: Record<string, unknown>) => ({
  machine: 'loginFlow' as const,
  v,
  rev: 2,
  snapshot: { status: 'active', value: 'credentials', historyValue: {}, context },
});

describe('login flow migrations', () => {
  it('is at version 3', () => {
    expect(LOGIN_FLOW_VERSION).toBe(3);
  });

  it.each([
    ['v2', stored(2, { ...v1Context, codeChallenge: 'c'.repeat(43) }), 'c'.repeat(43)],
    ['v1', stored(1, v1Context), null],
  ])('reads a %s flow as one offering no users, keeping the rest', (_name, envelope, codeChallenge) => {
    const restored = restoreSnapshot('loginFlow', envelope);
    if (!restored.ok) throw new Error(restored.reason);
    expect(restored.snapshot.value).toBe('credentials');
    expect(restored.snapshot.context).toEqual({ ...v1Context, codeChallenge, userChoices: null });
  });
});
