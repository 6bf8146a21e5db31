/**
 * The junk of test/http/bad-input.test.ts: a seeded generator (mulberry32) of malformed requests
 * and an oracle, written from the spec, of what Home Assistant answers to each.
 */
import { signAccessToken } from '../../src/domain/access-token.js';
import { CLIENT_ID, REDIRECT_URI } from '../support/test-server.js';
import { issuerOf, OTHER_CLIENT_ID, type Answer } from './token-client.js';

// ---------------------------------------------------------------------------------------------
// The seeded generator (mulberry32) and its pools.

export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof seeded>;

/** Client ids `verify_client_id` accepts, and refuses (ha-auth-spec §4.1). Junk values never hold a `:`, so are invalid too. */
export const VALID_CLIENT_IDS = [CLIENT_ID, OTHER_CLIENT_ID, 'http://localhost:8123/', 'http://8.8.8.8:8123/', 'http://192.168.1.5/', 'https://app.example/cb?x=1'];
export const INVALID_CLIENT_IDS = [
  ...['', 'not a url', 'ftp://app.example/', 'https://app.example/#frag', 'https://user@app.example/', 'https://app.example/a/../b'],
  ...['https://app.example:99999/', 'http://8.8.8.8/', 'http:///x', 'javascript:alert(1)'],
];
export const CLIENT_IDS = [...VALID_CLIENT_IDS, ...INVALID_CLIENT_IDS];
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'password', 'client_credentials', 'Refresh_Token', 'refresh_token ', 'implicit', ''];
export const ACTIONS = ['revoke', 'Revoke', 'revoke ', 'delete', ''];
export const FIELD_NAMES = ['grant_type', 'client_id', 'code', 'refresh_token', 'action', 'token'];
export const OTHER_NAMES = ['token_type_hint', 'redirect_uri', 'Grant_Type', 'grant_type ', 'grant_type[]', '', 'x', '__proto__', 'constructor', 'toString'];
export const JUNK_CHARS = [...'abcdefXYZ0189 _-.~!*()/?#@[]&=+%;,\'"\\\t', 'é', 'ü', '✓', '\u200b', '\ufeff', '💥', '\u0000', '\n'];

export function junkText(rng: Rng, maxLength = 40): string {
  return Array.from({ length: rng.int(maxLength + 1) }, () => rng.pick(JUNK_CHARS)).join('');
}

export const hex = (rng: Rng, length: number) => Array.from({ length }, () => '0123456789abcdef'[rng.int(16)]).join('');

/** The secrets a junk request may carry: the live refresh token itself, near misses, other tokens. */
export interface Secrets {
  refreshToken: string;
  accessToken: string;
}

export function junkValue(rng: Rng, name: string, secrets: Secrets): string {
  if (rng.chance(0.7)) {
    if (name === 'grant_type') return rng.pick(GRANT_TYPES);
    if (name === 'client_id') return rng.pick(CLIENT_IDS);
    if (name === 'action') return rng.pick(ACTIONS);
  }
  const secret = secrets.refreshToken;
  return rng.pick([
    () => secret,
    () => secret.toUpperCase(),
    () => `${secret}\n`,
    () => secret.slice(0, rng.int(128)),
    () => `${secret}${hex(rng, 1)}`,
    () => secrets.accessToken,
    () => issuerOf(secrets.accessToken),
    () => hex(rng, rng.pick([0, 31, 32, 33, 127, 128, 129])),
    () => hex(rng, 32),
    () => junkText(rng),
    () => 'x'.repeat(1 << (10 + rng.int(7))),
    () => rng.pick([...GRANT_TYPES, ...ACTIONS, ...CLIENT_IDS]),
  ])();
}

export type Pairs = Array<[string, string]>;

/** A request of each kind (or nothing), then up to three mutations: drop, repeat, insert or replace a field, shuffle. */
export function junkPairs(rng: Rng, secrets: Secrets): Pairs {
  const value = (name: string) => junkValue(rng, name, secrets);
  const clientId = () => (rng.chance(0.6) ? rng.pick(VALID_CLIENT_IDS) : value('client_id'));
  const pairs: Pairs = rng.pick([
    () => [['grant_type', 'authorization_code'], ['client_id', clientId()], ['code', value('code')]],
    () => [['grant_type', 'refresh_token'], ['client_id', clientId()], ['refresh_token', value('refresh_token')]],
    () => [['action', 'revoke'], ['token', value('token')]],
    (): Pairs => [],
  ])() as Pairs;
  const randomName = () => (rng.chance(0.85) ? rng.pick(FIELD_NAMES) : rng.pick(OTHER_NAMES));
  for (let n = rng.int(4); n > 0; n -= 1) {
    const at = rng.int(pairs.length + 1);
    const name = pairs[at]?.[0] ?? randomName();
    rng.pick([
      () => pairs.splice(at, 1),
      () => pairs.splice(rng.int(pairs.length + 1), 0, [name, value(name)]),
      () => pairs.splice(at, 0, [randomName(), value(name)]),
      () => pairs.splice(at, 1, [name, value(name)]),
      () => pairs.sort(() => rng.int(3) - 1),
    ])();
  }
  return pairs;
}

// ---------------------------------------------------------------------------------------------
// Encodings: how the pairs travel, and which pairs the server can read back (null: none at all).

export interface Encoded {
  label: string;
  headers: Record<string, string>;
  body: string | FormData | Uint8Array;
  /** What the server reads: the pairs as decoded, or null when the body is no form. */
  read: Pairs | null;
}

/** Raw prefixes of a url-encoded name or value, and what they decode to (WHATWG: bad UTF-8 → U+FFFD, bad escapes stay). */
export const RAW_PREFIXES: Array<{ raw: number[]; decoded: string }> = [
  { raw: [0xff], decoded: '\ufffd' },
  { raw: [0xc3], decoded: '\ufffd' },
  { raw: [...Buffer.from('%FF')], decoded: '\ufffd' },
  { raw: [...Buffer.from('%zz')], decoded: '%zz' },
  { raw: [...Buffer.from('%G0')], decoded: '%G0' },
];

export function withInvalidBytes(rng: Rng, pairs: Pairs): Encoded {
  const chunks: Buffer[] = [];
  const read: Pairs = pairs.map(([name, value], index) => {
    const namePrefix = rng.chance(0.2) ? rng.pick(RAW_PREFIXES) : undefined;
    const valuePrefix = rng.chance(0.5) ? rng.pick(RAW_PREFIXES) : undefined;
    if (index > 0) chunks.push(Buffer.from('&'));
    chunks.push(Buffer.from(namePrefix?.raw ?? []), Buffer.from(encodeURIComponent(name)), Buffer.from('='));
    chunks.push(Buffer.from(valuePrefix?.raw ?? []), Buffer.from(encodeURIComponent(value)));
    return [`${namePrefix?.decoded ?? ''}${name}`, `${valuePrefix?.decoded ?? ''}${value}`];
  });
  const body = new Uint8Array(Buffer.concat(chunks));
  return { label: 'form with invalid UTF-8', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, read };
}

export function formData(pairs: Pairs): FormData {
  const form = new FormData();
  for (const [name, value] of pairs) form.append(name, value);
  return form;
}

/** A multipart body cut before its closing delimiter: no form at all. */
async function truncatedMultipart(rng: Rng, pairs: Pairs): Promise<Encoded> {
  const serialized = new Response(formData(pairs));
  const contentType = serialized.headers.get('content-type') ?? '';
  const bytes = new Uint8Array(await serialized.arrayBuffer());
  const body = bytes.slice(0, rng.int(bytes.length - 2));
  return { label: 'truncated multipart', headers: { 'content-type': contentType }, body, read: null };
}

export async function encode(rng: Rng, pairs: Pairs): Promise<Encoded> {
  const urlEncoded = new URLSearchParams(pairs).toString();
  const form = 'application/x-www-form-urlencoded';
  const kind = rng.int(12);
  if (kind <= 2) return { label: 'form', headers: { 'content-type': form }, body: urlEncoded, read: pairs };
  if (kind === 3) return { label: 'form; charset', headers: { 'content-type': `${form}; charset=UTF-8` }, body: urlEncoded, read: pairs };
  // FormData sends line breaks in values as CRLF.
  const crlf = pairs.map(([name, value]): [string, string] => [name, value.replace(/\r?\n|\r/g, '\r\n')]);
  if (kind <= 5) return { label: 'multipart', headers: {}, body: formData(pairs), read: crlf };
  if (kind <= 7) return withInvalidBytes(rng, pairs);
  if (kind === 8) return truncatedMultipart(rng, pairs);
  if (kind === 9) return { label: 'JSON', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Object.fromEntries(pairs)), read: null };
  if (kind === 10) return { label: 'text/plain', headers: { 'content-type': 'text/plain' }, body: urlEncoded, read: null };
  const boundary = rng.pick(['multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=nope']);
  return { label: boundary, headers: { 'content-type': boundary }, body: urlEncoded, read: null };
}

// ---------------------------------------------------------------------------------------------
// The oracle: what Home Assistant answers (ha-auth-spec §6.1, §6.2). 'effective' marks a request
// that would really refresh or revoke; the generator drops those, since junk must change nothing.

export const EMPTY_200: Answer = { status: 200, body: '' };
export const oauthError = (body: Record<string, string>): Answer => ({ status: 400, body });
export const INVALID_CLIENT_ID = oauthError({ error: 'invalid_request', error_description: 'Invalid client id' });
export const INVALID_CODE = oauthError({ error: 'invalid_request', error_description: 'Invalid code' });

export const first = (pairs: Pairs, name: string) => pairs.find(([key]) => key === name)?.[1];

export function tokenEndpointAnswer(read: Pairs | null, secret: string): Answer | 'effective' {
  const fields = read ?? [];
  if (first(fields, 'action') === 'revoke') return first(fields, 'token') === secret ? 'effective' : EMPTY_200;
  const grantType = first(fields, 'grant_type');
  const clientId = first(fields, 'client_id');
  const clientIdValid = clientId !== undefined && VALID_CLIENT_IDS.includes(clientId);
  if (grantType === 'authorization_code') return clientIdValid ? INVALID_CODE : INVALID_CLIENT_ID;
  if (grantType !== 'refresh_token') return oauthError({ error: 'unsupported_grant_type' });
  if (clientId !== undefined && !clientIdValid) return INVALID_CLIENT_ID;
  const refreshToken = first(fields, 'refresh_token');
  if (refreshToken === undefined) return oauthError({ error: 'invalid_request' });
  if (refreshToken !== secret) return oauthError({ error: 'invalid_grant' });
  return clientId === CLIENT_ID ? 'effective' : oauthError({ error: 'invalid_request' });
}

export function revokeEndpointAnswer(read: Pairs | null, secret: string): Answer | 'effective' {
  return first(read ?? [], 'token') === secret ? 'effective' : EMPTY_200;
}

// ---------------------------------------------------------------------------------------------
// JSON views: voluptuous' first error, in data order (ha-auth-spec §3.2, §3.3, §8.3).

export const badJson = (message: string): Answer => ({ status: 400, body: { message: `Message format incorrect: ${message}` } });
export const INVALID_JSON: Answer = { status: 400, body: { message: 'Invalid JSON.' } };
export const NOT_JSON = ['', '{', '{"client_id": ', "{'client_id': 'x'}", 'client_id=x', 'nul', '[1,', '{"a":1}}', '\u0000', 'undefined'];
export const NOT_DICTS: unknown[] = [1, 'str', null, true, [], [CLIENT_ID], 1.5];
export const WRONG_TYPES: unknown[] = [1, 0, true, null, [], {}, ['homeassistant', null], 1.5];
/** Extra keys whose Python repr is `'<key>'`, and that no schema here knows. */
export const EXTRA_KEYS = ['foo', 'username', 'Client_Id', 'client_id ', 'ü', 'x'.repeat(20)];

export interface JsonCase {
  body: string;
  answer: Answer;
}

/** A body for a schema of required str fields (plus `extras`), with one defect, and its answer; null: the defect-free case. */
export function schemaCase(rng: Rng, valid: Record<string, unknown>, strFields: string[], defectFree: Answer | null): JsonCase | null {
  const kind = rng.int(defectFree === null ? 5 : 6);
  if (kind === 0) return { body: rng.pick(NOT_JSON), answer: INVALID_JSON };
  if (kind === 1) return { body: JSON.stringify(rng.pick(NOT_DICTS)), answer: badJson('expected a dictionary') };
  if (kind === 2) {
    const key = rng.pick(strFields);
    const rest = Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key));
    return { body: JSON.stringify({ [key]: rng.pick(WRONG_TYPES), ...rest }), answer: badJson(`expected str for dictionary value @ data['${key}']`) };
  }
  if (kind === 3) {
    const key = rng.pick(EXTRA_KEYS.filter((name) => !Object.hasOwn(valid, name)));
    return { body: JSON.stringify({ [key]: junkText(rng, 8), ...valid }), answer: badJson(`extra keys not allowed @ data['${key}']`) };
  }
  if (kind === 4) {
    const key = rng.pick(strFields);
    const rest = Object.fromEntries(Object.entries(valid).filter(([k]) => k !== key));
    return { body: JSON.stringify(rest), answer: badJson(`required key not provided @ data['${key}']`) };
  }
  return defectFree === null ? null : { body: JSON.stringify(valid), answer: defectFree };
}

export const UNKNOWN_HANDLERS: unknown[] = [['trusted_networks', null], ['homeassistant', 'x'], [null, null], ['command_line', null], ['', null]];

export function loginFlowStartCase(rng: Rng): JsonCase {
  const valid = { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI };
  // Types right but the client id invalid, or the handler unknown: refused before any flow exists.
  if (rng.chance(0.25)) {
    const clientId = rng.pick(INVALID_CLIENT_IDS);
    return { body: JSON.stringify({ ...valid, client_id: clientId }), answer: { status: 400, body: { message: 'Invalid client id' } } };
  }
  if (rng.chance(0.2)) {
    return { body: JSON.stringify({ ...valid, handler: rng.pick(UNKNOWN_HANDLERS) }), answer: { status: 404, body: { message: 'Invalid handler specified' } } };
  }
  return schemaCase(rng, valid, ['client_id', 'redirect_uri'], null) ?? loginFlowStartCase(rng);
}

export function loginFlowStepCase(rng: Rng): JsonCase {
  const kind = rng.int(6);
  if (kind === 0) return { body: rng.pick(NOT_JSON), answer: INVALID_JSON };
  if (kind === 1) return { body: JSON.stringify(rng.pick(NOT_DICTS)), answer: badJson('expected a dictionary') };
  if (kind === 2) return { body: JSON.stringify({ client_id: rng.pick(WRONG_TYPES), username: 'alice' }), answer: badJson("expected str for dictionary value @ data['client_id']") };
  if (kind === 3) return { body: JSON.stringify({ username: 'alice', password: junkText(rng, 8) }), answer: badJson("required key not provided @ data['client_id']") };
  if (kind === 4) return { body: JSON.stringify({ client_id: rng.pick(INVALID_CLIENT_IDS), username: 'alice' }), answer: { status: 400, body: { message: 'Invalid client id' } } };
  return { body: JSON.stringify({ client_id: CLIENT_ID, username: 'alice', password: junkText(rng, 8) }), answer: { status: 404, body: { message: 'Invalid flow specified' } } };
}

export function onboardingUserCase(rng: Rng): JsonCase {
  const valid = { name: junkText(rng, 8), username: junkText(rng, 8), password: junkText(rng, 8), client_id: junkText(rng, 8), language: 'en' };
  const fields = ['name', 'username', 'password', 'client_id', 'language'];
  return schemaCase(rng, valid, fields, { status: 403, body: { message: 'User step already done' } }) as JsonCase;
}

/** Flow ids no flow has: hex, URL-safe text, non-ASCII; never `.`/`..` (fetch would resolve them). */
export function unknownFlowId(rng: Rng): string {
  return rng.pick([
    () => hex(rng, 32),
    () => hex(rng, 1 + rng.int(64)),
    () => Array.from({ length: 1 + rng.int(40) }, () => rng.pick([...'abcXYZ019-_~'])).join(''),
    () => `${rng.pick(['é', '✓', '💥', ' ', '%', '?', '#', '/', '\u0000'])}${hex(rng, 32)}`,
  ])();
}

// ---------------------------------------------------------------------------------------------
// Bearer junk: every one of these is 401 on GET /api/ (ha-auth-spec §6.5, §13.2).

export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function junkAuthorization(rng: Rng, secrets: Secrets, now: number): Promise<string> {
  const iss = issuerOf(secrets.accessToken);
  const [head, payload, signature] = secrets.accessToken.split('.') as [string, string, string];
  const iat = Math.floor(now / 1000);
  const printable = () => Array.from({ length: 1 + rng.int(80) }, () => String.fromCharCode(0x21 + rng.int(94))).join('');
  return rng.pick([
    () => printable(),
    () => `Bearer ${printable()}`,
    () => `${rng.pick(['bearer', 'BEARER', 'Basic', 'Token', 'Bearer:'])} ${secrets.accessToken}`,
    () => `Bearer ${head}.${b64({ iss, iat, exp: iat + 99999 })}.${signature}`,
    () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    () => `Bearer ${head}.${b64({ iss: rng.pick([hex(rng, 32), 1, null, {}, '']), iat, exp: iat + 60 })}.${signature}`,
    () => `Bearer ${head}.${b64({ iss, exp: iat + 60 })}.${signature}`,
    () => `Bearer ${head}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`,
    async () => `Bearer ${await signAccessToken(iss, rng.pick(['k', 'wrong key', secrets.refreshToken]), now, 1800)}`,
    async () => `Bearer ${await signAccessToken(iss, hex(rng, 128), now, 1800)}`,
    () => `Bearer ${secrets.refreshToken}`,
    () => `Bearer ${secrets.accessToken}${'A'.repeat(8193 - secrets.accessToken.length)}`,
  ])();
}

export const shorten = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}… (${text.length} chars)` : text);

export interface Sent {
  what: string;
  expected: Answer;
  actual: Answer;
}
