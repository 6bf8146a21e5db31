/**
 * Login grant: the authorization code handed out when a login flow finishes (RFC 6749 §4.1.2).
 *
 * Home Assistant keeps codes in a process dict keyed by `(client_id, code)`, pops them on first
 * use and accepts them while `utcnow() - created < 10 minutes` (homeassistant/components/auth/__init__.py).
 * Here the code is a persisted record so that any instance can redeem it, exactly once:
 *
 *   issued ──REDEEM (same client, < 10 min)──▶ redeemed ──REDEEM (replay)──▶ revoked
 *     │ └──REDEEM (at or after 10 min)──▶ expired
 *     └──REVOKE (an unused code)──▶ revoked
 *
 * A REDEEM with another `client_id` finds nothing in Home Assistant (the key includes the client),
 * so it leaves the code untouched; so does one whose PKCE proof does not match (RFC 7636 §4.6: the
 * S256 of its `code_verifier` must equal the code's challenge, and a verifier for a code issued
 * without a challenge is refused, so that PKCE cannot be stripped from a request). A replay of a redeemed code is denied and, as RFC 6749 §4.1.2
 * asks, revokes the refresh token the first redemption produced: the machine emits its id.
 * The refresh-token id is chosen before the redemption so that the grant records it in the same write.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { LoginCredential } from './credential.js';

/** 2: `codeChallenge` (PKCE); see src/stores/envelope.ts. */
export const LOGIN_GRANT_VERSION = 2;

/** RFC 6749 §4.1.2 recommends at most 10 minutes; Home Assistant compares with a strict `<`. */
export const LOGIN_GRANT_LIFETIME_MS = 10 * 60 * 1000;


export interface LoginGrantInput {
  codeId: string;
  clientId: string;
  credential: LoginCredential;
  issuedAt: number;
  /** The S256 challenge of the login (RFC 7636), or null. */
  codeChallenge: string | null;
}

export interface LoginGrantContext extends LoginGrantInput {
  refreshTokenId: string | null;
  endedAt: number | null;
}

export type LoginGrantEvent =
  /** `proof`: the S256 of the presented `code_verifier`, or null when none was presented. */
  | { type: 'REDEEM'; now: number; clientId: string; refreshTokenId: string; proof: string | null }
  | { type: 'REVOKE'; now: number };

export type LoginGrantEmitted = { type: 'refreshTokenCompromised'; refreshTokenId: string };

export const loginGrantMachine = setup({
  types: {
    input: {} as LoginGrantInput,
    context: {} as LoginGrantContext,
    events: {} as LoginGrantEvent,
    emitted: {} as LoginGrantEmitted,
  },
  guards: {
    isForAnotherClient: ({ context, event }) =>
      event.type === 'REDEEM' && event.clientId !== context.clientId,
    isPastLifetime: ({ context, event }) => event.now - context.issuedAt >= LOGIN_GRANT_LIFETIME_MS,
    isWithoutProof: ({ context, event }) => event.type === 'REDEEM' && event.proof !== context.codeChallenge,
  },
  actions: {
    recordRedemption: assign(({ event }) => ({
      refreshTokenId: event.type === 'REDEEM' ? event.refreshTokenId : null,
      endedAt: event.now,
    })),
    recordEnd: assign(({ event }) => ({ endedAt: event.now })),
    reportCompromisedToken: enqueueActions(({ context, enqueue }) => {
      if (context.refreshTokenId !== null) {
        enqueue.emit({ type: 'refreshTokenCompromised', refreshTokenId: context.refreshTokenId });
      }
    }),
  },
}).createMachine({
  id: 'loginGrant',
  // Each field named, no spread: see machines/refresh-token.ts's context.
  context: ({ input }) => ({
    codeId: input.codeId,
    clientId: input.clientId,
    credential: input.credential,
    issuedAt: input.issuedAt,
    codeChallenge: input.codeChallenge,
    refreshTokenId: null,
    endedAt: null,
  }),
  initial: 'issued',
  states: {
    issued: {
      on: {
        REDEEM: [
          { guard: 'isForAnotherClient' },
          { guard: 'isPastLifetime', target: 'expired', actions: 'recordEnd' },
          { guard: 'isWithoutProof' },
          { target: 'redeemed', actions: 'recordRedemption' },
        ],
        REVOKE: { target: 'revoked', actions: 'recordEnd' },
      },
    },
    redeemed: {
      on: {
        REDEEM: [
          { guard: 'isForAnotherClient' },
          { target: 'revoked', actions: ['recordEnd', 'reportCompromisedToken'] },
        ],
        // No REVOKE: a redeemed code lives on as its refresh token, which is revoked on its own.
      },
    },
    expired: { type: 'final' },
    revoked: { type: 'final' },
  },
});
