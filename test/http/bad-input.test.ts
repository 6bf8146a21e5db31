/**
 * Bad input over real HTTP (SQLite): junk never gets a 500, never writes to the store, and gets the
 * answer Home Assistant documents for it (ha-auth-spec §0, §3.2-§3.5, §6.1, §6.2, §8.3, §13.2).
 *
 * Most requests come from a small seeded generator, so that every run sends the same few hundred
 * requests, each with its expected answer computed by an oracle written from the spec: the token
 * endpoint's dispatch and checks, client ids whose validity the spec states, voluptuous' first error.
 * Every write method of the store is spied on; the junk must call none of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken } from '../../src/domain/access-token.js';
import { newId } from '../../src/domain/ids.js';
import { CLIENT_ID, onboardOwner, REDIRECT_URI, startTestServer, type TestServer } from '../support/test-server.js';
import {
  answerOf,
  apiStatus,
  exchangeCode,
  issuerOf,
  newCode,
  newSession,
  OTHER_CLIENT_ID,
  refreshGrant,
  spyOnWrites,
  storedData,
  type Answer,
  type IssuedTokens,
} from './token-client.js';

// ---------------------------------------------------------------------------------------------
// The seeded generator (mulberry32) and its pools.

function seeded(seed: number) {
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
type Rng = ReturnType<typeof seeded>;

/** Client ids `verify_client_id` accepts, and refuses (ha-auth-spec §4.1). Junk values never hold a `:`, so are invalid too. */
const VALID_CLIENT_IDS = [CLIENT_ID, OTHER_CLIENT_ID, 'http://localhost:8123/', 'http://8.8.8.8:8123/', 'http://192.168.1.5/', 'https://app.example/cb?x=1'];
const INVALID_CLIENT_IDS = [
  ...['', 'not a url', 'ftp://app.example/', 'https://app.example/#frag', 'https://user@app.example/', 'https://app.example/a/../b'],
  ...['https://app.example:99999/', 'http://8.8.8.8/', 'http:///x', 'javascript:alert(1)'],
];
const CLIENT_IDS = [...VALID_CLIENT_IDS, ...INVALID_CLIENT_IDS];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'password', 'client_credentials', 'Refresh_Token', 'refresh_token ', 'implicit', ''];
const ACTIONS = ['revoke', 'Revoke', 'revoke ', 'delete', ''];
const FIELD_NAMES = ['grant_type', 'client_id', 'code', 'refresh_token', 'action', 'token'];
const OTHER_NAMES = ['token_type_hint', 'redirect_uri', 'Grant_Type', 'grant_type ', 'grant_type[]', '', 'x', '__proto__', 'constructor', 'toString'];
const JUNK_CHARS = [...'abcdefXYZ0189 _-.~!*()/?#@[]&=+%;,\'"\\\t', 'é', 'ü', '✓', '\u200b', '\ufeff', '💥', '\u0000', '\n'];

function junkText(rng: Rng, maxLength = 40): string {
  return Array.from({ length: rng.int(maxLength + 1) }, () => rng.pick(JUNK_CHARS)).join('');
}

const hex = (rng: Rng, length: number) => Array.from({ length }, () => '0123456789abcdef'[rng.int(16)]).join('');

/** The secrets a junk request may carry: the live refresh token itself, near misses, other tokens. */
interface Secrets {
  refreshToken: string;
  accessToken: string;
}

function junkValue(rng: Rng, name: string, secrets: Secrets): string {
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

type Pairs = Array<[string, string]>;

/** A request of each kind (or nothing), then up to three mutations: drop, repeat, insert or replace a field, shuffle. */
function junkPairs(rng: Rng, secrets: Secrets): Pairs {
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

interface Encoded {
  label: string;
  headers: Record<string, string>;
  body: string | FormData | Uint8Array;
  /** What the server reads: the pairs as decoded, or null when the body is no form. */
  read: Pairs | null;
}

/** Raw prefixes of a url-encoded name or value, and what they decode to (WHATWG: bad UTF-8 → U+FFFD, bad escapes stay). */
const RAW_PREFIXES: Array<{ raw: number[]; decoded: string }> = [
  { raw: [0xff], decoded: '\ufffd' },
  { raw: [0xc3], decoded: '\ufffd' },
  { raw: [...Buffer.from('%FF')], decoded: '\ufffd' },
  { raw: [...Buffer.from('%zz')], decoded: '%zz' },
  { raw: [...Buffer.from('%G0')], decoded: '%G0' },
];

function withInvalidBytes(rng: Rng, pairs: Pairs): Encoded {
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

function formData(pairs: Pairs): FormData {
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

async function encode(rng: Rng, pairs: Pairs): Promise<Encoded> {
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

const EMPTY_200: Answer = { status: 200, body: '' };
const oauthError = (body: Record<string, string>): Answer => ({ status: 400, body });
const INVALID_CLIENT_ID = oauthError({ error: 'invalid_request', error_description: 'Invalid client id' });
const INVALID_CODE = oauthError({ error: 'invalid_request', error_description: 'Invalid code' });

const first = (pairs: Pairs, name: string) => pairs.find(([key]) => key === name)?.[1];

function tokenEndpointAnswer(read: Pairs | null, secret: string): Answer | 'effective' {
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

function revokeEndpointAnswer(read: Pairs | null, secret: string): Answer | 'effective' {
  return first(read ?? [], 'token') === secret ? 'effective' : EMPTY_200;
}

// ---------------------------------------------------------------------------------------------
// JSON views: voluptuous' first error, in data order (ha-auth-spec §3.2, §3.3, §8.3).

const badJson = (message: string): Answer => ({ status: 400, body: { message: `Message format incorrect: ${message}` } });
const INVALID_JSON: Answer = { status: 400, body: { message: 'Invalid JSON.' } };
const NOT_JSON = ['', '{', '{"client_id": ', "{'client_id': 'x'}", 'client_id=x', 'nul', '[1,', '{"a":1}}', '\u0000', 'undefined'];
const NOT_DICTS: unknown[] = [1, 'str', null, true, [], [CLIENT_ID], 1.5];
const WRONG_TYPES: unknown[] = [1, 0, true, null, [], {}, ['homeassistant', null], 1.5];
/** Extra keys whose Python repr is `'<key>'`, and that no schema here knows. */
const EXTRA_KEYS = ['foo', 'username', 'Client_Id', 'client_id ', 'ü', 'x'.repeat(20)];

interface JsonCase {
  body: string;
  answer: Answer;
}

/** A body for a schema of required str fields (plus `extras`), with one defect, and its answer; null: the defect-free case. */
function schemaCase(rng: Rng, valid: Record<string, unknown>, strFields: string[], defectFree: Answer | null): JsonCase | null {
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

const UNKNOWN_HANDLERS: unknown[] = [['trusted_networks', null], ['homeassistant', 'x'], [null, null], ['command_line', null], ['', null]];

function loginFlowStartCase(rng: Rng): JsonCase {
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

function loginFlowStepCase(rng: Rng): JsonCase {
  const kind = rng.int(6);
  if (kind === 0) return { body: rng.pick(NOT_JSON), answer: INVALID_JSON };
  if (kind === 1) return { body: JSON.stringify(rng.pick(NOT_DICTS)), answer: badJson('expected a dictionary') };
  if (kind === 2) return { body: JSON.stringify({ client_id: rng.pick(WRONG_TYPES), username: 'alice' }), answer: badJson("expected str for dictionary value @ data['client_id']") };
  if (kind === 3) return { body: JSON.stringify({ username: 'alice', password: junkText(rng, 8) }), answer: badJson("required key not provided @ data['client_id']") };
  if (kind === 4) return { body: JSON.stringify({ client_id: rng.pick(INVALID_CLIENT_IDS), username: 'alice' }), answer: { status: 400, body: { message: 'Invalid client id' } } };
  return { body: JSON.stringify({ client_id: CLIENT_ID, username: 'alice', password: junkText(rng, 8) }), answer: { status: 404, body: { message: 'Invalid flow specified' } } };
}

function onboardingUserCase(rng: Rng): JsonCase {
  const valid = { name: junkText(rng, 8), username: junkText(rng, 8), password: junkText(rng, 8), client_id: junkText(rng, 8), language: 'en' };
  const fields = ['name', 'username', 'password', 'client_id', 'language'];
  return schemaCase(rng, valid, fields, { status: 403, body: { message: 'User step already done' } }) as JsonCase;
}

/** Flow ids no flow has: hex, URL-safe text, non-ASCII; never `.`/`..` (fetch would resolve them). */
function unknownFlowId(rng: Rng): string {
  return rng.pick([
    () => hex(rng, 32),
    () => hex(rng, 1 + rng.int(64)),
    () => Array.from({ length: 1 + rng.int(40) }, () => rng.pick([...'abcXYZ019-_~'])).join(''),
    () => `${rng.pick(['é', '✓', '💥', ' ', '%', '?', '#', '/', '\u0000'])}${hex(rng, 32)}`,
  ])();
}

// ---------------------------------------------------------------------------------------------
// Bearer junk: every one of these is 401 on GET /api/ (ha-auth-spec §6.5, §13.2).

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function junkAuthorization(rng: Rng, secrets: Secrets, now: number): Promise<string> {
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

const shorten = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}… (${text.length} chars)` : text);

interface Sent {
  what: string;
  expected: Answer;
  actual: Answer;
}

describe('bad input (SQLite)', () => {
  let server: TestServer;
  /** A session made before the junk: it must still work after it. */
  let session: IssuedTokens;
  let secrets: Secrets;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    await onboardOwner(server);
    session = await newSession(server);
    secrets = { refreshToken: session.refresh_token, accessToken: session.access_token };
  });
  afterAll(async () => {
    await server.close();
  });

  const send = (path: string, init: RequestInit) => fetch(`${server.baseUrl}${path}`, init);

  it('answers a seeded batch of junk requests exactly as documented, never with a 500, and writes nothing', async () => {
    const rng = seeded(0x5eed);
    const sent: Sent[] = [];
    const writes = spyOnWrites(server.store);
    const before = await storedData(server.store);
    const check = async (what: string, expected: Answer, response: Promise<Response>) => {
      sent.push({ what, expected, actual: await answerOf(await response) });
    };

    for (let i = 0; sent.length < 240; i += 1) {
      const pairs = junkPairs(rng, secrets);
      const path = rng.chance(0.8) ? '/auth/token' : '/auth/revoke';
      const encoded = await encode(rng, pairs);
      const expected = path === '/auth/token' ? tokenEndpointAnswer(encoded.read, secrets.refreshToken) : revokeEndpointAnswer(encoded.read, secrets.refreshToken);
      if (expected === 'effective') continue;
      const what = `#${i} POST ${path} (${encoded.label}) ${shorten(JSON.stringify(pairs))}`;
      await check(what, expected, send(path, { method: 'POST', headers: encoded.headers, body: encoded.body }));
    }
    for (let i = 0; i < 30; i += 1) {
      const { body, answer } = loginFlowStartCase(rng);
      await check(`POST /auth/login_flow ${shorten(body)}`, answer, send('/auth/login_flow', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    }
    for (let i = 0; i < 30; i += 1) {
      const flowId = encodeURIComponent(unknownFlowId(rng));
      const { body, answer } = loginFlowStepCase(rng);
      await check(`POST /auth/login_flow/${flowId} ${shorten(body)}`, answer, send(`/auth/login_flow/${flowId}`, { method: 'POST', body }));
      const method = rng.pick(['DELETE', 'GET']);
      await check(`${method} /auth/login_flow/${flowId}`, { status: 404, body: { message: 'Invalid flow specified' } }, send(`/auth/login_flow/${flowId}`, { method }));
    }
    for (let i = 0; i < 25; i += 1) {
      const { body, answer } = onboardingUserCase(rng);
      await check(`POST /api/onboarding/users ${shorten(body)}`, answer, send('/api/onboarding/users', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    }
    for (let i = 0; i < 30; i += 1) {
      const authorization = await junkAuthorization(rng, secrets, server.clock.now);
      await check(`GET /api/ with ${shorten(authorization)}`, { status: 401, body: '401: Unauthorized' }, send('/api/', { headers: { authorization } }));
    }

    expect(sent.length).toBe(240 + 30 + 2 * 30 + 25 + 30);
    expect(sent.filter((s) => s.actual.status >= 500)).toEqual([]);
    expect(sent.filter((s) => JSON.stringify(s.actual) !== JSON.stringify(s.expected))).toEqual([]);
    expect(writes()).toEqual([]);
    expect(await storedData(server.store)).toEqual(before);
    // The generator did reach every answer of the token endpoint.
    const bodies = new Set(sent.map((s) => JSON.stringify(s.expected.body)));
    for (const error of ['invalid_grant', 'unsupported_grant_type', 'Invalid client id', 'Invalid code']) {
      expect([...bodies].some((body) => body.includes(error))).toBe(true);
    }
    expect(bodies.has('""')).toBe(true);
    expect(bodies.has(JSON.stringify({ error: 'invalid_request' }))).toBe(true);
  });

  it('reads 1 MiB values like any others, and answers a 2 MiB body with 413, not 500', async () => {
    const writes = spyOnWrites(server.store);
    const big = 'x'.repeat(1024 * 1024 - 1024);
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const rows: Array<[string, RequestInit, Answer]> = [
      ['/auth/token', form({ grant_type: big }), oauthError({ error: 'unsupported_grant_type' })],
      ['/auth/token', form({ grant_type: 'authorization_code', client_id: `https://app.example/${big}`, code: 'x' }), INVALID_CODE],
      ['/auth/token', form({ grant_type: 'authorization_code', client_id: big, code: 'x' }), INVALID_CLIENT_ID],
      ['/auth/token', form({ grant_type: 'authorization_code', client_id: CLIENT_ID, code: big }), INVALID_CODE],
      ['/auth/token', form({ grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: big }), oauthError({ error: 'invalid_grant' })],
      ['/auth/token', form({ action: 'revoke', token: big }), EMPTY_200],
      ['/auth/revoke', form({ token: big }), EMPTY_200],
      ['/auth/login_flow', { method: 'POST', body: JSON.stringify({ client_id: big, handler: ['homeassistant', null], redirect_uri: 'x' }) }, { status: 400, body: { message: 'Invalid client id' } }],
    ];
    for (const [path, init, expected] of rows) expect(await answerOf(await send(path, init))).toEqual(expected);

    const huge = 'y'.repeat(2 * 1024 * 1024);
    for (const path of ['/auth/token', '/auth/revoke', '/auth/login_flow', '/api/onboarding/users', `/auth/login_flow/${newId()}`]) {
      const response = await send(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${huge}` });
      expect({ path, status: response.status }).toEqual({ path, status: 413 });
      await response.arrayBuffer();
    }
    expect(writes()).toEqual([]);
  });

  it('never revokes or refreshes through a form it cannot read: invalid UTF-8, truncated or mislabelled multipart', async () => {
    const writes = spyOnWrites(server.store);
    const secret = secrets.refreshToken;
    const raw = (...parts: Array<string | number[]>) => new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))));
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    const rows: Array<[string, RequestInit, Answer]> = [
      ['/auth/revoke', { method: 'POST', headers: formType, body: raw('token=', [0xff], secret) }, EMPTY_200],
      ['/auth/revoke', { method: 'POST', headers: formType, body: raw('token=', secret, [0xc3]) }, EMPTY_200],
      ['/auth/revoke', { method: 'POST', headers: formType, body: raw([0xfe], 'token=', secret) }, EMPTY_200],
      ['/auth/token', { method: 'POST', headers: formType, body: raw('grant_type=refresh_token&client_id=', CLIENT_ID, '&refresh_token=%FF', secret) }, oauthError({ error: 'invalid_grant' })],
      ['/auth/token', { method: 'POST', headers: formType, body: raw('grant_type=', [0xe2, 0x82], 'refresh_token') }, oauthError({ error: 'unsupported_grant_type' })],
    ];
    const multipart = new Response(formData([['grant_type', 'refresh_token'], ['client_id', CLIENT_ID], ['refresh_token', secret], ['action', 'revoke'], ['token', secret]]));
    const contentType = multipart.headers.get('content-type') ?? '';
    const bytes = new Uint8Array(await multipart.arrayBuffer());
    for (const cut of [0, 10, Math.floor(bytes.length / 2), bytes.length - 20, bytes.length - 3]) {
      for (const path of ['/auth/token', '/auth/revoke']) {
        const expected = path === '/auth/token' ? oauthError({ error: 'unsupported_grant_type' }) : EMPTY_200;
        rows.push([path, { method: 'POST', headers: { 'content-type': contentType }, body: bytes.slice(0, cut) }, expected]);
      }
    }
    for (const mislabelled of ['multipart/form-data', 'multipart/form-data; boundary=other', 'application/json', 'text/plain']) {
      rows.push(['/auth/revoke', { method: 'POST', headers: { 'content-type': mislabelled }, body: bytes }, EMPTY_200]);
    }
    for (const [path, init, expected] of rows) expect(await answerOf(await send(path, init))).toEqual(expected);
    expect(writes()).toEqual([]);
    expect(await apiStatus(server, secrets.accessToken)).toBe(200);
  });

  it('answers a huge Authorization header with 401 up to the header limit and a 4xx beyond it, never 500', async () => {
    for (const length of [8_000, 8_193, 12_000]) {
      const response = await send('/api/', { headers: { authorization: `Bearer ${'a'.repeat(length)}` } });
      expect({ length, answer: await answerOf(response) }).toEqual({ length, answer: { status: 401, body: '401: Unauthorized' } });
    }
    for (const path of ['/api/', '/auth/token']) {
      const response = await send(path, { method: path === '/api/' ? 'GET' : 'POST', headers: { authorization: `Bearer ${'a'.repeat(64 * 1024)}` } });
      expect(response.status).toBe(431);
      await response.arrayBuffer();
    }
  });

  it('answers unsupported methods on known paths with 404 or 405, never 500', async () => {
    const writes = spyOnWrites(server.store);
    const paths = ['/auth/token', '/auth/revoke', '/api/', '/api/onboarding/users', '/auth/login_flow', `/auth/login_flow/${newId()}`];
    const seen: Array<{ request: string; status: number }> = [];
    for (const path of paths) {
      for (const method of ['PUT', 'PATCH', 'DELETE', 'GET']) {
        if ((method === 'GET' && ['/api/', '/auth/login_flow'].includes(path)) || (method === 'DELETE' && path.startsWith('/auth/login_flow/'))) continue;
        const response = await send(path, { method, ...(['PUT', 'PATCH'].includes(method) ? { body: 'grant_type=refresh_token' } : {}) });
        await response.arrayBuffer();
        seen.push({ request: `${method} ${path}`, status: response.status });
      }
    }
    expect(seen.filter(({ status }) => status !== 404 && status !== 405)).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it('refuses an OPTIONS request that is not a CORS preflight with a 400, never a 500', async () => {
    const statuses = [];
    for (const path of ['/auth/token', '/api/', '/auth/login_flow']) {
      const response = await send(path, { method: 'OPTIONS' });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([400, 400, 400]);
  });

  it('treats keys named like Object.prototype members as the plain keys they are (voluptuous messages, no "undefined")', async () => {
    const postJson = async (path: string, body: string) => answerOf(await send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    const start = `"client_id": "${CLIENT_ID}", "handler": ["homeassistant", null], "redirect_uri": "${REDIRECT_URI}"`;
    const owner = `"name": "A", "username": "b", "password": "c", "client_id": "${CLIENT_ID}", "language": "en"`;
    const answers = {
      constructor: await postJson('/auth/login_flow', `{"constructor": 1, ${start}}`),
      proto: await postJson('/auth/login_flow', `{"__proto__": {}, ${start}}`),
      toString: await postJson('/api/onboarding/users', `{"toString": "x", ${owner}}`),
      // The step schema allows extra keys: an unknown flow is then just that.
      hasOwnProperty: await postJson(`/auth/login_flow/${newId()}`, `{"client_id": "${CLIENT_ID}", "hasOwnProperty": 1}`),
    };
    expect(answers).toEqual({
      constructor: badJson("extra keys not allowed @ data['constructor']"),
      proto: badJson("extra keys not allowed @ data['__proto__']"),
      toString: badJson("extra keys not allowed @ data['toString']"),
      hasOwnProperty: { status: 404, body: { message: 'Invalid flow specified' } },
    });
  });

  it('answers over-long and malformed flow ids as unknown flows, with Home Assistant headers like every other answer', async () => {
    const headersOf = (response: Response) => ({
      'referrer-policy': response.headers.get('referrer-policy'),
      'x-content-type-options': response.headers.get('x-content-type-options'),
      'x-frame-options': response.headers.get('x-frame-options'),
    });
    const homeAssistantHeaders = { 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN' };
    const seen: unknown[] = [];
    const expected: unknown[] = [];
    // aiohttp has no limit on a path parameter's length: a long id is an unknown flow.
    for (const method of ['DELETE', 'POST']) {
      const response = await send(`/auth/login_flow/${'a'.repeat(101)}`, { method, body: method === 'POST' ? JSON.stringify({ client_id: CLIENT_ID }) : null });
      seen.push({ method, answer: await answerOf(response), headers: headersOf(response) });
      expected.push({ method, answer: { status: 404, body: { message: 'Invalid flow specified' } }, headers: homeAssistantHeaders });
    }
    for (const id of ['%FF', '%E0%A4%A', '%']) {
      const response = await send(`/auth/login_flow/${id}`, { method: 'DELETE' });
      seen.push({ id, status: response.status < 500, headers: headersOf(response) });
      expected.push({ id, status: true, headers: homeAssistantHeaders });
      await response.arrayBuffer();
    }
    expect(seen).toEqual(expected);
  });

  it('still serves the session made before the junk, and a new login', async () => {
    expect(await apiStatus(server, session.access_token)).toBe(200);
    const refreshed = await refreshGrant(server, session.refresh_token);
    expect(refreshed.status).toBe(200);
    expect(await apiStatus(server, ((await refreshed.json()) as { access_token: string }).access_token)).toBe(200);
    const exchanged = await exchangeCode(server, await newCode(server));
    expect(exchanged.status).toBe(200);
    expect(await apiStatus(server, ((await exchanged.json()) as IssuedTokens).access_token)).toBe(200);
  });
});
