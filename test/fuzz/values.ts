/**
 * A fuzzed value: literal text, or a real value of the set-up owner (real-values.ts), possibly bent
 * into a near miss, and with a prefix (`Bearer `). Arbitraries build requests from these; they are
 * turned into text only when the request is sent, which keeps counterexamples short and readable
 * (`{real: 'refreshToken', mutation: 'cut'}` rather than 128 hex digits).
 */
import fc from 'fast-check';
import { MUTATIONS, type Mutation, type RealKind } from './real-values.js';

/** How a real value is bent: the string near misses of real-values.ts, and for a JWT a forged signature or none (`alg: none`). */
export type Bend = Mutation | 'forged' | 'unsigned';

export type Val = { text: string } | { real: RealKind; mutation: Bend; prefix: string };

export const text = (value: string): Val => ({ text: value });

/** A real value of one of `kinds`, sometimes a near miss of it. */
export function real(...kinds: RealKind[]): fc.Arbitrary<Val> {
  return fc.record({ real: fc.constantFrom(...kinds), mutation: fc.constantFrom<Bend>(...MUTATIONS), prefix: fc.constant('') });
}

/** A JWT of the set-up owner (an access token, a signed path's `authSig`), valid or with a bad signature or none. */
export function realJwt(kind: Extract<RealKind, 'accessToken' | 'signedPath' | 'oauthState'>, prefixes: string[] = ['']): fc.Arbitrary<Val> {
  return fc.record({
    real: fc.constant(kind),
    mutation: fc.constantFrom<Bend>('none', 'none', 'forged', 'unsigned', 'cut', 'extra'),
    prefix: fc.constantFrom(...prefixes),
  });
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function bend(value: string, mutation: Bend): string {
  const parts = value.split('.');
  if (mutation === 'forged') return parts.length === 3 ? `${parts[0]}.${parts[1]}.${'A'.repeat(43)}` : `${value}.x`;
  if (mutation === 'unsigned') return parts.length === 3 ? `${b64({ alg: 'none', typ: 'JWT' })}.${parts[1]}.` : value;
  if (mutation === 'upper') return value.toUpperCase();
  if (mutation === 'cut') return value.slice(0, -1);
  if (mutation === 'extra') return `${value}a`;
  if (mutation === 'padded') return ` ${value}`;
  return value;
}

/** The text of a value, minting real ones through `resolve`. */
export async function render(value: Val, resolve: (kind: RealKind) => Promise<string>): Promise<string> {
  if ('text' in value) return value.text;
  return `${value.prefix}${bend(await resolve(value.real), value.mutation)}`;
}
