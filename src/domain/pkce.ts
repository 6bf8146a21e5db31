/**
 * PKCE (RFC 7636) with the S256 method only: `code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))`.
 * The plain method is refused, as RFC 9700 §2.1.1 advises.
 */
import { createHash } from 'node:crypto';

/** §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge: 32 bytes as unpadded base64url. */
const S256_CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

/** The S256 challenge a verifier proves, or null for a string that is no verifier. */
export function s256Proof(verifier: string): string | null {
  if (!VERIFIER.test(verifier)) return null;
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
