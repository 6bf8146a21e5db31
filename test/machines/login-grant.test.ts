import { describe, expect, it } from 'vitest';
import {
  LOGIN_GRANT_LIFETIME_MS,
  loginGrantMachine,
  type LoginGrantEvent,
  type LoginGrantInput,
} from '../../machines/login-grant.js';
import { describeModel, persisted, send, start } from './model.js';

const ISSUED_AT = Date.UTC(2025, 5, 1, 12, 0, 0);
const CLIENT = 'https://app.example/';
const OTHER_CLIENT = 'https://evil.example/';
const LAST_MS = ISSUED_AT + LOGIN_GRANT_LIFETIME_MS - 1;
const EXPIRY = ISSUED_AT + LOGIN_GRANT_LIFETIME_MS;

const input: LoginGrantInput = {
  codeId: 'c0de',
  clientId: CLIENT,
  credential: { id: 'cred-1', authProviderType: 'homeassistant', authProviderId: null, data: { username: 'ada' }, lookupKey: 'ada' },
  issuedAt: ISSUED_AT,
  codeChallenge: null,
};

function redeem(now: number, refreshTokenId: string, clientId = CLIENT, proof: string | null = null): LoginGrantEvent {
  return { type: 'REDEEM', now, clientId, refreshTokenId, proof };
}

const issued = () => start(loginGrantMachine, input);
const apply = (snapshot: ReturnType<typeof issued>, event: LoginGrantEvent) => send(loginGrantMachine, snapshot, event);

describeModel('login grant', {
  machine: loginGrantMachine,
  input,
  events: [
    redeem(ISSUED_AT + 1, 'rt-early'),
    redeem(LAST_MS, 'rt-last'),
    redeem(EXPIRY, 'rt-late'),
    redeem(ISSUED_AT + 1, 'rt-other', OTHER_CLIENT),
    redeem(ISSUED_AT + 1, 'rt-verifier', CLIENT, 'a-proof-for-a-code-without-challenge'),
    { type: 'REVOKE', now: ISSUED_AT + 1 },
  ],
});

describe('login grant', () => {
  it('redeems a code 1 ms before its 10 minutes are up', () => {
    const { snapshot, emitted } = apply(issued(), redeem(LAST_MS, 'rt-1'));

    expect(snapshot.value).toBe('redeemed');
    expect(snapshot.context).toMatchObject({ refreshTokenId: 'rt-1', endedAt: LAST_MS });
    expect(emitted).toEqual([]);
  });

  it('expires a code redeemed at exactly 10 minutes (Home Assistant accepts only a strict <)', () => {
    const { snapshot, emitted } = apply(issued(), redeem(EXPIRY, 'rt-1'));

    expect(snapshot.value).toBe('expired');
    expect(snapshot.status).toBe('done');
    expect(snapshot.context).toMatchObject({ refreshTokenId: null, endedAt: EXPIRY });
    expect(emitted).toEqual([]);
  });

  it('leaves the code untouched when another client presents it, so its own client still can', () => {
    const start = issued();
    const wrongClient = apply(start, redeem(ISSUED_AT + 1, 'rt-stolen', OTHER_CLIENT));

    expect(wrongClient.snapshot.value).toBe('issued');
    expect(persisted(loginGrantMachine, wrongClient.snapshot)).toEqual(persisted(loginGrantMachine, start));

    const rightClient = apply(wrongClient.snapshot, redeem(ISSUED_AT + 2, 'rt-1'));
    expect(rightClient.snapshot.value).toBe('redeemed');
    expect(rightClient.snapshot.context.refreshTokenId).toBe('rt-1');
  });

  it('revokes a replayed code and reports the refresh token of the first redemption (RFC 6749 §4.1.2)', () => {
    const first = apply(issued(), redeem(ISSUED_AT + 1, 'rt-first'));
    const replay = apply(first.snapshot, redeem(ISSUED_AT + 2, 'rt-second'));

    expect(replay.snapshot.value).toBe('revoked');
    expect(replay.snapshot.context).toMatchObject({ refreshTokenId: 'rt-first', endedAt: ISSUED_AT + 2 });
    expect(replay.emitted).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: 'rt-first' }]);
  });

  it('does not count a redeemed code presented by another client as a replay', () => {
    const first = apply(issued(), redeem(ISSUED_AT + 1, 'rt-first'));
    const other = apply(first.snapshot, redeem(ISSUED_AT + 2, 'rt-other', OTHER_CLIENT));

    expect(other.snapshot.value).toBe('redeemed');
    expect(other.emitted).toEqual([]);
  });

  it('revokes an issued code without reporting a refresh token (none was minted)', () => {
    const { snapshot, emitted } = apply(issued(), { type: 'REVOKE', now: ISSUED_AT + 5 });

    expect(snapshot.value).toBe('revoked');
    expect(snapshot.context).toMatchObject({ refreshTokenId: null, endedAt: ISSUED_AT + 5 });
    expect(emitted).toEqual([]);
  });

  describe('in a final state', () => {
    const finals = {
      expired: () => apply(issued(), redeem(EXPIRY, 'rt-1')).snapshot,
      'revoked after a replay': () => {
        const redeemed = apply(issued(), redeem(ISSUED_AT + 1, 'rt-1')).snapshot;
        return apply(redeemed, redeem(ISSUED_AT + 2, 'rt-2')).snapshot;
      },
      'revoked while issued': () => apply(issued(), { type: 'REVOKE', now: ISSUED_AT + 1 }).snapshot,
    };
    const events: LoginGrantEvent[] = [
      redeem(ISSUED_AT + 3, 'rt-3'),
      redeem(ISSUED_AT + 3, 'rt-3', OTHER_CLIENT),
      { type: 'REVOKE', now: ISSUED_AT + 3 },
    ];

    it.each(Object.entries(finals))('%s: no event changes the record or emits anything', (_name, reach) => {
      const final = reach();
      for (const event of events) {
        const { snapshot, emitted } = apply(final, event);
        expect(persisted(loginGrantMachine, snapshot)).toEqual(persisted(loginGrantMachine, final));
        expect(emitted).toEqual([]);
      }
    });
  });

  describe('PKCE (RFC 7636)', () => {
    const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    const withChallenge = () => start(loginGrantMachine, { ...input, codeChallenge: CHALLENGE });
    const proving = (proof: string | null) => redeem(ISSUED_AT + 1, 'rt-1', CLIENT, proof);

    it('redeems a code whose verifier proves its challenge', () => {
      expect(apply(withChallenge(), proving(CHALLENGE)).snapshot.value).toBe('redeemed');
    });

    it.each([
      ['no verifier', null],
      ['a wrong verifier', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'],
    ])('leaves the code unused for %s, so that the right client can still redeem it', (_, proof) => {
      const { snapshot, emitted } = apply(withChallenge(), proving(proof));
      expect(persisted(loginGrantMachine, snapshot)).toEqual(persisted(loginGrantMachine, withChallenge()));
      expect(emitted).toEqual([]);
      expect(apply(snapshot, proving(CHALLENGE)).snapshot.value).toBe('redeemed');
    });

    it('refuses a verifier for a code issued without a challenge (no downgrade)', () => {
      const { snapshot } = apply(issued(), proving(CHALLENGE));
      expect(snapshot.value).toBe('issued');
    });

    it('still treats a second redemption as a replay, whatever its proof', () => {
      const redeemed = apply(withChallenge(), proving(CHALLENGE)).snapshot;
      const { snapshot, emitted } = apply(redeemed, redeem(ISSUED_AT + 2, 'rt-2'));
      expect(snapshot.value).toBe('revoked');
      expect(emitted).toEqual([{ type: 'refreshTokenCompromised', refreshTokenId: 'rt-1' }]);
    });
  });
});
