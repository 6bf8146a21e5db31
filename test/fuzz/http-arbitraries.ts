/**
 * Requests for every route of the service, mostly well-formed so that the fuzzer gets deep: the
 * fields each route reads, present or missing, of the right type or not, with real values of the
 * set-up owner or near misses of them, plus extra and repeated fields; the encodings clients use and
 * get wrong; Authorization headers with real, forged and unsigned JWTs. Client ids are never public
 * hosts: a login's redirect-URI discovery would fetch them (services/login/redirect-discovery.ts), and the
 * loopback and private ones it refuses without a connection.
 */
import fc from 'fast-check';
import { INVALID_CLIENT_IDS } from '../http/junk-requests.js';
import { FORM_ENCODINGS, JSON_TYPES, type Body, type FuzzRequest } from './http-request.js';
import { deepText, jsonText, numberText, stringText, trickyString } from './json-text.js';
import type { RealKind } from './real-values.js';
import { real, realJwt, text, type Val } from './values.js';

const LOCAL_CLIENT_IDS = ['http://localhost:8123/', 'http://192.168.1.5/', 'http://[::1]:8123/', 'https://127.0.0.1/', 'homeassistant://auth-callback'];
const CLIENT_ID_TEXTS = [...LOCAL_CLIENT_IDS, ...INVALID_CLIENT_IDS];

/** Header-safe text: fetch refuses control characters and non-Latin-1 in header values. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 });

/** A form field's value: one of `kinds` (real or a near miss), one of `plausible`, or junk. */
function formValue(kinds: RealKind[], plausible: string[] = []): fc.Arbitrary<Val> {
  return fc.oneof(
    { weight: kinds.length > 0 ? 5 : 0, arbitrary: kinds.length > 0 ? real(...kinds) : fc.constant(text('')) },
    { weight: plausible.length > 0 ? 3 : 0, arbitrary: fc.constantFrom('', ...plausible).map(text) },
    { weight: 2, arbitrary: trickyString.map(text) },
  );
}

/** A JSON field's value: real (a JSON string), a plausible string, or JSON of any type and shape. */
function jsonValue(kinds: RealKind[], plausible: string[] = []): fc.Arbitrary<Val> {
  return fc.oneof(
    { weight: kinds.length > 0 ? 5 : 0, arbitrary: kinds.length > 0 ? real(...kinds) : fc.constant(text('null')) },
    { weight: plausible.length > 0 ? 3 : 0, arbitrary: fc.constantFrom('""', ...plausible).map(text) },
    { weight: 2, arbitrary: fc.oneof(stringText, numberText, jsonText).map(text) },
  );
}

type Fields = Record<string, fc.Arbitrary<Val>>;

/** Each field present (mostly) or not, then extra fields, then a repeat of one (the last one wins, or the first). */
function fieldsOf(fields: Fields, extraValue: fc.Arbitrary<Val>): fc.Arbitrary<Array<[string, Val]>> {
  const present = Object.entries(fields).map(([name, value]) =>
    fc.option(value.map((v): [string, Val] => [name, v]), { freq: 6, nil: null }),
  );
  const extraName = fc.oneof(fc.constantFrom(...Object.keys(fields), '__proto__', 'constructor', 'toString', 'x', ''), trickyString);
  return fc
    .tuple(fc.tuple(...present), fc.array(fc.tuple(extraName, extraValue), { maxLength: 2 }), fc.boolean())
    .map(([chosen, extras, repeat]) => {
      const pairs = [...chosen.filter((pair) => pair !== null), ...extras];
      return repeat && pairs.length > 0 ? [...pairs, pairs[0] as [string, Val]] : pairs;
    });
}

/**
 * The fields of a request that does what the route is for, with exact real values: a body is one of
 * these (half of the time) or fuzzed field by field, so that the runs reach the deep paths (a
 * code exchanged, a flow stepped) whatever the seed, not only when every field happens to be right.
 */
type Valid = Array<Record<string, Val>>;

const exact = (kind: RealKind): Val => ({ real: kind, mutation: 'none', prefix: '' });
const validPairs = (valid: Valid) => fc.constantFrom(...valid).map((fields) => Object.entries(fields));

function formBody(fields: Fields, valid: Valid = []): fc.Arbitrary<Body> {
  const pairs = valid.length === 0 ? fieldsOf(fields, formValue([])) : fc.oneof(fieldsOf(fields, formValue([])), validPairs(valid));
  return fc.record({ kind: fc.constant('form' as const), pairs, encoding: fc.constantFrom(...FORM_ENCODINGS) });
}

function jsonBody(fields: Fields, valid: Valid = []): fc.Arbitrary<Body> {
  const fuzzed = fieldsOf(fields, jsonValue([]));
  const object = fc.record({
    kind: fc.constant('json' as const),
    entries: valid.length === 0 ? fuzzed : fc.oneof(fuzzed, validPairs(valid)),
    contentType: fc.constantFrom(...JSON_TYPES, ...JSON_TYPES.slice(0, 2), ...JSON_TYPES.slice(0, 2)),
  });
  const notAnObject = fc.record({
    kind: fc.constant('raw' as const),
    text: fc.oneof(jsonText, deepText, fc.constantFrom('', '{', '{"a":1}}', 'nul', '\u0000', '[1,'), trickyString),
    contentType: fc.constant('application/json'),
  });
  return fc.oneof({ weight: 6, arbitrary: object }, { weight: 1, arbitrary: notAnObject });
}

const clientIdForm = formValue(['clientId'], CLIENT_ID_TEXTS);
const clientIdJson = jsonValue(['clientId'], CLIENT_ID_TEXTS.map((id) => JSON.stringify(id)));

const authorization = fc.oneof(
  { weight: 4, arbitrary: realJwt('accessToken', ['Bearer ']) },
  { weight: 1, arbitrary: realJwt('accessToken', ['bearer ', 'Basic ', 'Bearer  ', '']) },
  { weight: 1, arbitrary: real('refreshToken', 'signedPath').map((v) => ({ ...v, prefix: 'Bearer ' })) },
  { weight: 1, arbitrary: headerText.map((junk) => text(`Bearer ${junk}`)) },
  { weight: 1, arbitrary: headerText.map(text) },
);

const commonHeader: fc.Arbitrary<[string, Val]> = fc.oneof(
  fc.tuple(fc.constant('authorization'), authorization),
  fc.tuple(fc.constant('origin'), fc.constantFrom('https://cast.home-assistant.io', 'http://evil.example', 'null', '').map(text)),
  fc.tuple(fc.constant('x-forwarded-for'), fc.oneof(fc.constantFrom('1.2.3.4', '1.2.3.4, 5.6.7.8', '::1', 'junk').map(text), headerText.map(text))),
  fc.tuple(fc.constantFrom('accept', 'user-agent', 'x-requested-with', 'accept-language', 'cookie'), headerText.map(text)),
);

const headers = (extra: fc.Arbitrary<[string, Val]>[] = []) =>
  fc.array(fc.oneof({ weight: 3, arbitrary: commonHeader }, ...extra.map((arbitrary) => ({ weight: 3, arbitrary }))), { maxLength: 3 });

const query = (fields: Fields) => fieldsOf(fields, formValue([]));
const rawQuery = fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('%zz', '%FF=%C3', '&&=&', 'a=%', '%00=%00') });

interface Route {
  method: fc.Arbitrary<string>;
  path: fc.Arbitrary<Array<string | Val>>;
  query?: Fields;
  headers?: fc.Arbitrary<[string, Val]>[];
  body?: fc.Arbitrary<Body | null>;
}

function request(route: Route): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    method: route.method,
    path: route.path,
    query: route.query === undefined ? fc.constant([]) : query(route.query),
    rawQuery,
    headers: headers(route.headers),
    body: route.body === undefined ? fc.constant(null) : route.body,
  });
}

const at = (...segments: string[]) => fc.constant(segments);
const flowId = fc.oneof(
  { weight: 5, arbitrary: fc.constant(exact('flowId')) },
  { weight: 1, arbitrary: real('flowId') },
  { weight: 2, arbitrary: fc.oneof(trickyString.filter((id) => id !== '' && id !== '.' && id !== '..'), fc.constantFrom('a'.repeat(2000), '0'.repeat(32))).map(text) },
);
const flowPath = flowId.map((id): Array<string | Val> => ['auth', 'login_flow', id]);

const tokenFields: Fields = {
  grant_type: formValue([], ['authorization_code', 'refresh_token', 'password', 'client_credentials', 'Refresh_Token']),
  client_id: clientIdForm,
  code: formValue(['code', 'pkceCode']),
  code_verifier: formValue(['codeVerifier'], ['x'.repeat(43), 'x'.repeat(129)]),
  refresh_token: formValue(['refreshToken']),
  action: formValue([], ['revoke', 'Revoke']),
  token: formValue(['refreshToken', 'accessToken']),
};

const json = (value: string): Val => text(JSON.stringify(value));
const HANDLER = text('["homeassistant",null]');

const validToken: Valid = [
  { grant_type: text('authorization_code'), client_id: exact('clientId'), code: exact('code') },
  { grant_type: text('authorization_code'), client_id: exact('clientId'), code: exact('pkceCode'), code_verifier: exact('codeVerifier') },
  { grant_type: text('refresh_token'), client_id: exact('clientId'), refresh_token: exact('refreshToken') },
  { action: text('revoke'), token: exact('refreshToken') },
];
const validStart: Valid = [
  { client_id: exact('clientId'), handler: HANDLER, redirect_uri: exact('redirectUri') },
  { client_id: exact('clientId'), handler: HANDLER, redirect_uri: exact('redirectUri'), type: json('link_user') },
  { client_id: exact('clientId'), handler: HANDLER, redirect_uri: exact('redirectUri'), code_challenge: exact('codeChallenge'), code_challenge_method: json('S256') },
];
const validStep: Valid = [
  { client_id: exact('clientId'), username: exact('username'), password: exact('password') },
  { client_id: exact('clientId'), username: exact('username'), password: json('wrong') },
];

const loginFlowStart: Fields = {
  client_id: clientIdJson,
  handler: jsonValue([], ['["homeassistant",null]', '["homeassistant",null]', '["homeassistant"]', '["trusted_networks",null]', '["homeassistant","x"]', '"homeassistant"']),
  redirect_uri: jsonValue(['redirectUri'], ['"http://localhost:8123/?auth_callback=1"', '"homeassistant://auth-callback"', '"http://127.0.0.1:9/"', '"javascript:alert(1)"']),
  type: jsonValue([], ['"authorize"', '"link_user"', '"Authorize"']),
  code_challenge: jsonValue(['codeChallenge'], [`"${'A'.repeat(43)}"`, `"${'A'.repeat(42)}="`]),
  code_challenge_method: jsonValue([], ['"S256"', '"plain"', '"s256"']),
};

const loginFlowStep: Fields = {
  client_id: clientIdJson,
  username: jsonValue(['username'], ['"alice"', '"Alice"', '" alice"']),
  password: jsonValue(['password'], ['"wrong"', '""']),
  code: jsonValue([], ['"123456"', '"000000"', '123456']),
  mfa_module: jsonValue([], ['"totp"', '"nope"']),
  user: jsonValue(['userId']),
};

const onboardingFields: Fields = {
  name: jsonValue([], ['"Bob"']),
  username: jsonValue(['username'], ['"bob"', '"Bob "']),
  password: jsonValue(['password'], ['"p"']),
  client_id: clientIdJson,
  language: jsonValue([], ['"en"', '"xx-YY"']),
};

const pageQuery: Fields = {
  client_id: formValue(['clientId'], CLIENT_ID_TEXTS),
  redirect_uri: formValue(['redirectUri'], ['http://localhost:8123/?auth_callback=1']),
  state: formValue(['oauthState']),
  response_type: formValue([], ['code', 'token']),
  code_challenge: formValue(['codeChallenge']),
  code_challenge_method: formValue([], ['S256', 'plain']),
};

const GET_PAGES = [
  [''],
  ['auth', 'authorize'],
  ['inspect'],
  ['profile'],
  ['config', 'users'],
  ['auth', 'providers'],
  ['api', 'onboarding'],
  ['api', 'onboarding', 'installation_type'],
  ['.well-known', 'oauth-authorization-server'],
  ['.well-known', 'oauth-protected-resource'],
  ['health'],
  ['ready'],
  ['api', 'websocket'],
  ['auth', 'login_flow'],
];

const ALL_PATHS = [...GET_PAGES, ['auth', 'token'], ['auth', 'revoke'], ['auth', 'link_user'], ['api', ''], ['api', 'onboarding', 'users'], ['auth', 'external', 'callback'], ['nope'], ['auth', 'login_flow', 'x', 'y']];

/** Every route, each a request arbitrary, by name (the name is the test's label). */
export const ROUTES: Record<string, fc.Arbitrary<FuzzRequest>> = {
  'POST /auth/token': request({ method: fc.constant('POST'), path: at('auth', 'token'), body: formBody(tokenFields, validToken) }),
  'POST /auth/revoke': request({
    method: fc.constant('POST'),
    path: at('auth', 'revoke'),
    body: formBody({ token: formValue(['refreshToken', 'accessToken']), token_type_hint: formValue([], ['refresh_token', 'access_token']) }, [{ token: exact('refreshToken') }]),
  }),
  'POST /auth/login_flow': request({ method: fc.constant('POST'), path: at('auth', 'login_flow'), body: jsonBody(loginFlowStart, validStart) }),
  'POST /auth/login_flow/{flow_id}': request({ method: fc.constant('POST'), path: flowPath, body: jsonBody(loginFlowStep, validStep) }),
  'GET|DELETE /auth/login_flow/{flow_id}': request({ method: fc.constantFrom('DELETE', 'GET'), path: flowPath }),
  'POST /api/onboarding/users': request({ method: fc.constant('POST'), path: at('api', 'onboarding', 'users'), body: jsonBody(onboardingFields) }),
  'POST /auth/link_user': request({
    method: fc.constant('POST'),
    path: at('auth', 'link_user'),
    headers: [fc.tuple(fc.constant('authorization'), authorization)],
    body: jsonBody({ code: jsonValue(['code']), client_id: clientIdJson }, [{ code: exact('code'), client_id: exact('clientId') }]),
  }),
  'GET /api/ (Bearer, authSig)': request({
    method: fc.constantFrom('GET', 'GET', 'HEAD'),
    path: at('api', ''),
    query: { authSig: fc.oneof(realJwt('signedPath'), formValue(['accessToken'])) },
    headers: [fc.tuple(fc.constant('authorization'), authorization)],
  }),
  'GET /auth/external/callback': request({
    method: fc.constant('GET'),
    path: at('auth', 'external', 'callback'),
    query: { state: fc.oneof(realJwt('oauthState'), formValue([])), code: formValue([], ['abc']), error: formValue([], ['access_denied']) },
  }),
  'GET pages and metadata': request({ method: fc.constantFrom('GET', 'HEAD'), path: fc.constantFrom(...GET_PAGES), query: pageQuery }),
  'OPTIONS (CORS preflight)': request({
    method: fc.constant('OPTIONS'),
    path: fc.constantFrom(...ALL_PATHS),
    headers: [
      fc.tuple(fc.constant('access-control-request-method'), fc.constantFrom('POST', 'GET', 'DELETE', 'PUT', 'x', '').map(text)),
      fc.tuple(fc.constant('access-control-request-headers'), fc.oneof(fc.constantFrom('authorization, content-type', '*').map(text), headerText.map(text))),
    ],
  }),
  'any method, any path, any body': request({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'),
    path: fc.oneof(fc.constantFrom(...ALL_PATHS), fc.array(fc.oneof(trickyString.filter((s) => s !== '.' && s !== '..').map(text), fc.constantFrom('auth', 'api', 'login_flow')), { minLength: 1, maxLength: 4 })),
    body: fc.option(fc.oneof(formBody(tokenFields), jsonBody(loginFlowStart)), { nil: null }),
  }),
};
