import { describe, expect, it } from 'vitest';
import {
  REFRESH_TOKEN_INACTIVITY_MS,
  refreshTokenMachine,
  type RefreshTokenEvent,
  type RefreshTokenInput,
  type RefreshTokenType,
} from '../../machines/refresh-token.js';
import { describeModel, persisted, send, start } from './model.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CREATED_AT = Date.UTC(2025, 5, 1, 12, 0, 0);
const FIRST_EXPIRY = CREATED_AT + REFRESH_TOKEN_INACTIVITY_MS;

function tokenInput(tokenType: RefreshTokenType): RefreshTokenInput {
  return {
    id: 'rt-1',
    userId: 'user-1',
    clientId: tokenType === 'normal' ? 'https://app.example/' : null,
    clientName: tokenType === 'long_lived_access_token' ? 'CLI' : null,
    clientIcon: null,
    tokenType,
    createdAt: CREATED_AT,
    accessTokenExpirationS: tokenType === 'long_lived_access_token' ? 3650 * 86400 : 1800,
    jwtKey: 'k'.repeat(128),
    credentialId: null,
    version: '0.1.0',
  };
}

const use = (now: number, ip: string | null = '192.0.2.10'): RefreshTokenEvent => ({ type: 'USE', now, ip });
const setExpiry = (now: number, enable: boolean): RefreshTokenEvent => ({ type: 'SET_EXPIRY', now, enable });

const token = (tokenType: RefreshTokenType = 'normal') => start(refreshTokenMachine, tokenInput(tokenType));
type Token = ReturnType<typeof token>;
const apply = (snapshot: Token, event: RefreshTokenEvent) => send(refreshTokenMachine, snapshot, event);

/** Applies events in order, as successive stored writes. */
function after(snapshot: Token, ...events: RefreshTokenEvent[]): Token {
  return events.reduce((current, event) => apply(current, event).snapshot, snapshot);
}

const FAMILY_END = CREATED_AT + 30 * DAY_MS;
const GRACE_MS = 60_000;
const family = (expiresAt: number | null = FAMILY_END) => ({ id: 'rt-1', generation: 1, predecessorId: null, expiresAt });
const rotate = (now: number, successorId = 'rt-2'): RefreshTokenEvent => ({
  type: 'ROTATE',
  now,
  ip: '192.0.2.20',
  successorId,
  graceMs: GRACE_MS,
  family: family(),
});

describeModel('refresh token', {
  machine: refreshTokenMachine,
  input: { ...tokenInput('normal'), family: family() },
  events: [
    rotate(CREATED_AT + DAY_MS),
    rotate(CREATED_AT + DAY_MS + 1000, 'rt-3'),
    rotate(CREATED_AT + 2 * DAY_MS, 'rt-4'),
    rotate(FAMILY_END, 'rt-5'),
    rotate(FIRST_EXPIRY, 'rt-6'),
    use(CREATED_AT + DAY_MS),
    use(FIRST_EXPIRY, '198.51.100.7'),
    { type: 'EXPIRE', now: CREATED_AT + DAY_MS },
    { type: 'EXPIRE', now: FIRST_EXPIRY },
    setExpiry(CREATED_AT + DAY_MS, false),
    setExpiry(CREATED_AT + DAY_MS, true),
    { type: 'REVOKE', now: CREATED_AT + DAY_MS, reason: 'revoked' },
  ],
});

describe('refresh token', () => {
  it('gives a normal token 90 days from its creation', () => {
    expect(token().value).toBe('issued');
    expect(token().context).toMatchObject({ expireAt: FIRST_EXPIRY, lastUsedAt: null, lastUsedIp: null });
  });

  it('slides the expiry to 90 days after each use and records the use', () => {
    const used = after(token(), use(CREATED_AT + DAY_MS, '192.0.2.10'), use(CREATED_AT + 2 * DAY_MS, '192.0.2.11'));

    expect(used.value).toBe('issued');
    expect(used.context).toMatchObject({
      lastUsedAt: CREATED_AT + 2 * DAY_MS,
      lastUsedIp: '192.0.2.11',
      expireAt: CREATED_AT + 2 * DAY_MS + REFRESH_TOKEN_INACTIVITY_MS,
    });
  });

  it('stays usable 1 ms before its expiry', () => {
    const { snapshot, emitted } = apply(token(), use(FIRST_EXPIRY - 1));

    expect(snapshot.value).toBe('issued');
    expect(snapshot.context.expireAt).toBe(FIRST_EXPIRY - 1 + REFRESH_TOKEN_INACTIVITY_MS);
    expect(emitted).toEqual([]);
  });

  it('ends a token used at exactly its expiry instead of reviving it, and announces why', () => {
    const { snapshot, emitted } = apply(token(), use(FIRST_EXPIRY));

    expect(snapshot.value).toBe('expired');
    expect(snapshot.context).toMatchObject({ endedAt: FIRST_EXPIRY, endReason: 'expired', lastUsedAt: null });
    expect(emitted).toEqual([{ type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason: 'expired' }]);
  });

  it.each<RefreshTokenType>(['long_lived_access_token', 'system'])('never expires a %s token', (tokenType) => {
    expect(token(tokenType).context.expireAt).toBeNull();

    const tenYearsLater = CREATED_AT + 3650 * DAY_MS;
    const used = after(token(tokenType), use(tenYearsLater), { type: 'EXPIRE', now: tenYearsLater });
    expect(used.value).toBe('issued');
    expect(used.context).toMatchObject({ expireAt: null, lastUsedAt: tenYearsLater });
  });

  describe('SET_EXPIRY (auth/refresh_token_set_expiry)', () => {
    it('clears the expiry when disabled', () => {
      expect(after(token(), setExpiry(CREATED_AT + DAY_MS, false)).context.expireAt).toBeNull();
    });

    it('enables 90 days after the last use when there is no expiry', () => {
      const lastUse = CREATED_AT + DAY_MS;
      const enabled = after(token(), use(lastUse), setExpiry(lastUse, false), setExpiry(lastUse + 5 * DAY_MS, true));
      expect(enabled.context.expireAt).toBe(lastUse + REFRESH_TOKEN_INACTIVITY_MS);
    });

    it('enables 90 days from now on a token never used', () => {
      const now = CREATED_AT + 7 * DAY_MS;
      const enabled = after(token('long_lived_access_token'), setExpiry(now, true));
      expect(enabled.context.expireAt).toBe(now + REFRESH_TOKEN_INACTIVITY_MS);
    });

    it('keeps an expiry that is already set', () => {
      const enabled = after(token(), use(CREATED_AT + DAY_MS), setExpiry(CREATED_AT + 9 * DAY_MS, true));
      expect(enabled.context.expireAt).toBe(CREATED_AT + DAY_MS + REFRESH_TOKEN_INACTIVITY_MS);
    });
  });

  describe('EXPIRE (the sweep)', () => {
    it('does nothing before the expiry', () => {
      const { snapshot, emitted } = apply(token(), { type: 'EXPIRE', now: FIRST_EXPIRY - 1 });

      expect(persisted(refreshTokenMachine, snapshot)).toEqual(persisted(refreshTokenMachine, token()));
      expect(emitted).toEqual([]);
    });

    it('ends the token at its expiry and announces it', () => {
      const { snapshot, emitted } = apply(token(), { type: 'EXPIRE', now: FIRST_EXPIRY });

      expect(snapshot.value).toBe('expired');
      expect(snapshot.context).toMatchObject({ endedAt: FIRST_EXPIRY, endReason: 'expired' });
      expect(emitted).toEqual([{ type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason: 'expired' }]);
    });
  });

  it.each(['revoked', 'code_replayed', 'user_removed'] as const)('REVOKE for %s announces that reason', (reason) => {
    const { snapshot, emitted } = apply(token(), { type: 'REVOKE', now: CREATED_AT + DAY_MS, reason });

    expect(snapshot.value).toBe('revoked');
    expect(snapshot.context).toMatchObject({ endedAt: CREATED_AT + DAY_MS, endReason: reason });
    expect(emitted).toEqual([{ type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason }]);
  });

  it.each(['expired', 'revoked'] as const)('once %s, ignores every event', (state) => {
    const ended =
      state === 'expired'
        ? after(token(), use(FIRST_EXPIRY))
        : after(token(), { type: 'REVOKE', now: CREATED_AT, reason: 'revoked' });
    expect(ended.value).toBe(state);

    const later = FIRST_EXPIRY + DAY_MS;
    const events: RefreshTokenEvent[] = [
      use(later),
      { type: 'EXPIRE', now: later },
      setExpiry(later, true),
      setExpiry(later, false),
      { type: 'REVOKE', now: later, reason: 'user_removed' },
    ];
    for (const event of events) {
      const { snapshot, emitted } = apply(ended, event);
      expect(persisted(refreshTokenMachine, snapshot)).toEqual(persisted(refreshTokenMachine, ended));
      expect(emitted).toEqual([]);
    }
  });

  describe('ROTATE (clients whose policy rotates)', () => {
    const rotating = () => start(refreshTokenMachine, { ...tokenInput('normal'), family: family() });
    const RDAY = CREATED_AT + DAY_MS;

    it('redeems the token for its successor, records the use and opens the grace window, announcing nothing', () => {
      const { snapshot, emitted } = apply(rotating(), rotate(RDAY));
      expect(snapshot.value).toBe('redeemed');
      expect(snapshot.context).toMatchObject({
        successorId: 'rt-2',
        redeemedAt: RDAY,
        graceUntil: RDAY + GRACE_MS,
        lastUsedAt: RDAY,
        lastUsedIp: '192.0.2.20',
        expireAt: FIRST_EXPIRY,
      });
      expect(emitted).toEqual([]);
    });

    it('starts the family the event names when the token had none (rotation switched on later)', () => {
      const { snapshot } = apply(token(), rotate(RDAY));
      expect(snapshot.context.family).toEqual(family());
    });

    it('within the grace window, changes nothing: the presentation keeps the successor it has', () => {
      const redeemed = after(rotating(), rotate(RDAY));
      const { snapshot, emitted } = apply(redeemed, rotate(RDAY + GRACE_MS - 1, 'rt-3'));
      expect(snapshot.value).toBe('redeemed');
      expect(snapshot.context).toEqual(redeemed.context);
      expect(emitted).toEqual([]);
    });

    it('from the end of the grace window on, counts a presentation as reuse and compromises the family', () => {
      const redeemed = after(rotating(), rotate(RDAY));
      const { snapshot, emitted } = apply(redeemed, rotate(RDAY + GRACE_MS, 'rt-3'));
      expect(snapshot.value).toBe('revoked');
      expect(snapshot.context).toMatchObject({ endReason: 'reuse_detected', endedAt: RDAY + GRACE_MS, successorId: 'rt-2' });
      expect(emitted).toEqual([
        { type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason: 'reuse_detected' },
        { type: 'familyCompromised', familyId: 'rt-1', userId: 'user-1' },
      ]);
    });

    it('ends a family at its lifetime, issued or redeemed, without calling it reuse', () => {
      const issuedAtEnd = apply(rotating(), rotate(FAMILY_END));
      expect(issuedAtEnd.snapshot.value).toBe('expired');
      expect(issuedAtEnd.emitted).toEqual([{ type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason: 'expired' }]);
      const redeemedAtEnd = apply(after(rotating(), rotate(FAMILY_END - 1000)), rotate(FAMILY_END - 1000 + 1, 'rt-3'));
      expect(redeemedAtEnd.snapshot.value).toBe('redeemed');
      const late = apply(after(rotating(), rotate(FAMILY_END - 1000)), rotate(FAMILY_END, 'rt-3'));
      expect(late.snapshot.value).toBe('expired');
      expect(late.emitted).toEqual([{ type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason: 'expired' }]);
    });

    it('never extends a family without a lifetime, and can revoke a redeemed token', () => {
      const unlimited = start(refreshTokenMachine, { ...tokenInput('normal'), family: family(null) });
      expect(after(unlimited, rotate(FIRST_EXPIRY - 1)).value).toBe('redeemed');
      const { snapshot, emitted } = apply(after(rotating(), rotate(RDAY)), { type: 'REVOKE', now: RDAY + 1, reason: 'user_removed' });
      expect(snapshot.value).toBe('revoked');
      expect(emitted).toEqual([{ type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason: 'user_removed' }]);
    });
  });

  describe('a token imported from Home Assistant (`imported`)', () => {
    const LAST_USE = CREATED_AT + 40 * DAY_MS;
    const HA_EXPIRY = LAST_USE + REFRESH_TOKEN_INACTIVITY_MS;
    const imported = (expireAt: number | null, tokenType: RefreshTokenType = 'normal') =>
      start(refreshTokenMachine, { ...tokenInput(tokenType), imported: { lastUsedAt: LAST_USE, lastUsedIp: '192.168.1.20', expireAt } });

    it("keeps Home Assistant's last use and expiry instead of deriving them from its creation", () => {
      expect(imported(HA_EXPIRY).value).toBe('issued');
      expect(imported(HA_EXPIRY).context).toMatchObject({ lastUsedAt: LAST_USE, lastUsedIp: '192.168.1.20', expireAt: HA_EXPIRY });
    });

    it('persists in the same shape as a token made here, so the machine version stays', () => {
      const keys = (snapshot: Token) => Object.keys((persisted(refreshTokenMachine, snapshot) as { context: object }).context).sort();
      expect(keys(imported(HA_EXPIRY))).toEqual(keys(token()));
    });

    it('lives on from there: a use slides the expiry, a use at the kept expiry ends it', () => {
      const used = after(imported(HA_EXPIRY), use(HA_EXPIRY - 1, '10.0.0.9'));
      expect(used.context).toMatchObject({ lastUsedAt: HA_EXPIRY - 1, lastUsedIp: '10.0.0.9', expireAt: HA_EXPIRY - 1 + REFRESH_TOKEN_INACTIVITY_MS });
      const { snapshot, emitted } = apply(imported(HA_EXPIRY), use(HA_EXPIRY));
      expect(snapshot.value).toBe('expired');
      expect(emitted).toEqual([{ type: 'refreshTokenEnded', refreshTokenId: 'rt-1', reason: 'expired' }]);
    });

    it('keeps a normal token whose expiry Home Assistant switched off without one, so it never expires', () => {
      const tenYearsLater = CREATED_AT + 3650 * DAY_MS;
      const kept = after(imported(null), use(tenYearsLater), { type: 'EXPIRE', now: tenYearsLater });
      expect(kept.value).toBe('issued');
      expect(kept.context.expireAt).toBeNull();
    });

    it('keeps a long-lived token never used as never used', () => {
      const llat = start(refreshTokenMachine, {
        ...tokenInput('long_lived_access_token'),
        imported: { lastUsedAt: null, lastUsedIp: null, expireAt: null },
      });
      expect(llat.context).toMatchObject({ lastUsedAt: null, lastUsedIp: null, expireAt: null });
    });
  });
});
