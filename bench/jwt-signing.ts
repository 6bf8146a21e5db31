/**
 * What signing and verifying one access token costs, with a key per token as Home Assistant has
 * (each refresh token's own `jwt_key`, homeassistant/auth/__init__.py): jose (what
 * src/domain/access-token.ts used first), fast-jwt building a signer/verifier per token (its
 * per-key objects cannot be cached across tokens), and node:crypto's HMAC alone, the floor any JWT
 * library stands on. It also checks that jose and fast-jwt produce the same bytes for the same claims,
 * which is what lets one replace the other without changing a single token.
 *
 *   npx tsx bench/jwt-signing.ts
 *
 * Rounds alternate between the candidates and the median is kept, so drift (JIT, GC) hits all alike.
 */
import { createHmac } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { SignJWT, jwtVerify } from 'jose';
import { newId, newSecret } from '../src/domain/ids.js';

const ROUNDS = 7;
const TOKENS = Number(process.env.BENCH_TOKENS ?? 4000);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const encoder = new TextEncoder();
const base64Url = (text: string) => Buffer.from(text).toString('base64url');

interface Claims {
  iss: string;
  iat: number;
  exp: number;
}

type Candidate = { sign(key: string, claims: Claims): Promise<string> | string; verify(token: string, key: string, issuer: string): Promise<boolean> | boolean };

const candidates: Record<string, Candidate> = {
  jose: {
    sign: (key, claims) => new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(encoder.encode(key)),
    verify: async (token, key, issuer) => {
      await jwtVerify(token, encoder.encode(key), { algorithms: ['HS256'], issuer, requiredClaims: ['exp', 'iat'], clockTolerance: 10 });
      return true;
    },
  },
  'fast-jwt': {
    sign: (key, claims) => createSigner({ key, algorithm: 'HS256' })(claims),
    verify: (token, key, issuer) => {
      createVerifier({ key, algorithms: ['HS256'], allowedIss: issuer, requiredClaims: ['exp', 'iat'], clockTolerance: 10_000, cache: false })(token);
      return true;
    },
  },
  'node:crypto HMAC (floor)': {
    sign: (key, claims) => {
      const unsigned = `${base64Url('{"alg":"HS256","typ":"JWT"}')}.${base64Url(JSON.stringify(claims))}`;
      return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
    },
    verify: (token, key) => {
      const cut = token.lastIndexOf('.');
      return createHmac('sha256', key).update(token.slice(0, cut)).digest('base64url') === token.slice(cut + 1);
    },
  },
};

const keys = Array.from({ length: TOKENS }, () => ({ id: newId(), key: newSecret() }));
const now = Math.floor(Date.now() / 1000);
const claimsOf = (id: string): Claims => ({ iss: id, iat: now, exp: now + 1800 });

/** µs per call over every key. */
async function perCall(run: (id: string, key: string) => unknown): Promise<number> {
  const started = performance.now();
  for (const { id, key } of keys) await run(id, key);
  return ((performance.now() - started) * 1000) / keys.length;
}

const sample = keys[0] as { id: string; key: string };
const signed: string[] = [];
for (const candidate of Object.values(candidates)) signed.push(await candidate.sign(sample.key, claimsOf(sample.id)));
const same = signed.every((token) => token === signed[0]);
console.log(`same token from every candidate: ${same}`);
if (!same) console.log(signed.join('\n'));

const tokens = new Map<string, Map<string, string>>();
for (const [name, candidate] of Object.entries(candidates)) {
  const byId = new Map<string, string>();
  for (const { id, key } of keys) byId.set(id, await candidate.sign(key, claimsOf(id)));
  tokens.set(name, byId);
}

const results = Object.fromEntries(Object.keys(candidates).map((name) => [name, { sign: [] as number[], verify: [] as number[] }]));
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(candidates);
  if (round % 2 === 1) names.reverse();
  for (const name of names) {
    const candidate = candidates[name] as Candidate;
    const byId = tokens.get(name) as Map<string, string>;
    results[name]?.sign.push(await perCall((id, key) => candidate.sign(key, claimsOf(id))));
    results[name]?.verify.push(await perCall((id, key) => candidate.verify(byId.get(id) as string, key, id)));
  }
}
for (const [name, { sign, verify }] of Object.entries(results)) {
  console.log(`${name}: sign ${median(sign).toFixed(1)} µs, verify ${median(verify).toFixed(1)} µs per token (new key each)`);
}
