/**
 * What the scenarios of bench/run.ts need in place before they start: an owner, refresh tokens,
 * single-use authorization codes, login flows to guess passwords at. Everything goes through the
 * service's HTTP API, or, where that would take minutes (a million tokens, tens of thousands of
 * codes), through the store's and services' own code in this process, on the same Redis key prefix
 * as the service, so what is written is exactly what the service itself writes and reads.
 */
import type { LoginCredential } from '../machines/credential.js';
import { loginGrantService } from '../src/services/login/authorization-codes.js';
import { loadRecord } from '../src/runtime/records.js';
import { refreshTokenService } from '../src/services/tokens/refresh-tokens.js';
import { newId, newSecret, sha256Hex } from '../src/domain/ids.js';
import type { Logger } from '../src/domain/logger.js';
import { decodeEnvelope, encodeEnvelope } from '../src/stores/envelope-codec.js';
import type { Store } from '../src/stores/types.js';

/** A client id that passes `verify_client_id` (the frontend's, on loopback). */
export const CLIENT_ID = 'http://127.0.0.1:8123/';
const REDIRECT_URI = 'http://127.0.0.1:8123/?auth_callback=1';

export interface BenchClient {
  clientId: string;
  redirectUri: string;
}
const FRONTEND: BenchClient = { clientId: CLIENT_ID, redirectUri: REDIRECT_URI };
/** A client whose refresh tokens rotate (TRUSTED_LOOPBACK_CONFIG's `clients:`), on loopback like the frontend. */
export const ROTATING_CLIENT: BenchClient = { clientId: 'http://127.0.0.1:8124/', redirectUri: 'http://127.0.0.1:8124/?auth_callback=1' };
export const OWNER = { name: 'Bench', username: 'bench', password: 'bench-password-not-guessed' };

/** Seeding must not print: a warning here would be a bug the verification below reports anyway. */
export const quietLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A configuration file (CONFIG_FILE) with Home Assistant's password provider and a trusted_networks
 * provider that lets loopback in without a password (docs/configuration.md, "Trusted networks"): logins that cost no
 * bcrypt, for seeding over HTTP. ROTATING_CLIENT's refresh tokens rotate (docs/configuration.md, "Refresh-token
 * rotation"); the frontend's, as in Home Assistant, do not.
 */
export const TRUSTED_LOOPBACK_CONFIG = [
  'auth_providers:',
  '  - type: homeassistant',
  '  - type: trusted_networks',
  '    trusted_networks: [127.0.0.1/32]',
  '    allow_bypass_login: true',
  'clients:',
  `  "${ROTATING_CLIENT.clientId}":`,
  '    refresh_token_rotation: true',
  '',
].join('\n');

async function postJson(baseUrl: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

export const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const refreshBody = (secret: string, clientId = CLIENT_ID) => formBody({ grant_type: 'refresh_token', client_id: clientId, refresh_token: secret });
export const codeBody = (code: string, clientId = CLIENT_ID) => formBody({ grant_type: 'authorization_code', client_id: clientId, code });

export interface Tokens {
  refreshToken: string;
  accessToken: string;
}

export async function postToken(baseUrl: string, body: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`/auth/token answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

export async function exchangeCode(baseUrl: string, code: string, clientId = CLIENT_ID): Promise<Tokens> {
  const answer = await postToken(baseUrl, codeBody(code, clientId));
  return { refreshToken: answer.refresh_token as string, accessToken: answer.access_token as string };
}

/** Creates the owner (onboarding) and returns the authorization code it answers with, not yet redeemed. */
export async function onboardOwner(baseUrl: string): Promise<string> {
  const answer = await postJson(baseUrl, '/api/onboarding/users', { ...OWNER, client_id: CLIENT_ID, language: 'en' });
  return answer.auth_code as string;
}

/** `count` logins of the owner to `client` through trusted_networks (TRUSTED_LOOPBACK_CONFIG), `parallel` at a time. */
export async function trustedLogins(baseUrl: string, count: number, { parallel = 16, client = FRONTEND } = {}): Promise<Tokens[]> {
  const tokens: Tokens[] = [];
  const login = async () => {
    const flow = await postJson(baseUrl, '/auth/login_flow', { client_id: client.clientId, handler: ['trusted_networks', null], redirect_uri: client.redirectUri });
    if (flow.type !== 'create_entry') throw new Error(`trusted_networks did not log in at once: ${JSON.stringify(flow)}`);
    tokens.push(await exchangeCode(baseUrl, flow.result as string, client.clientId));
  };
  for (let started = 0; started < count; started += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - started) }, login));
  }
  return tokens;
}

/** Login flows of the password provider, open at their credentials step, for a password-guessing flood. */
export async function passwordFlows(baseUrl: string, count: number): Promise<string[]> {
  const flows: string[] = [];
  for (let i = 0; i < count; i++) {
    const flow = await postJson(baseUrl, '/auth/login_flow', { client_id: CLIENT_ID, handler: ['homeassistant', null], redirect_uri: REDIRECT_URI });
    flows.push(flow.flow_id as string);
  }
  return flows;
}

/**
 * `count` more refresh tokens like the one whose secret is `templateSecret` (same user, client,
 * credential), written through the store's own `refreshTokens.create` (record, hash index, the user's
 * set) with a fresh id, jwt_key and secret each: the layout the service reads, at pipelined speed.
 * Returns the secrets of every `keepEvery`th token, the only ones a scenario will present.
 */
export async function cloneRefreshTokens(store: Store, templateSecret: string, count: number, keepEvery: number): Promise<string[]> {
  const templateId = await store.refreshTokens.findIdByTokenHash(sha256Hex(templateSecret));
  const template = templateId === null ? null : await store.refreshTokens.load(templateId);
  if (templateId === null || template === null) throw new Error('the template refresh token is not in the store');
  if (template.rev !== 1) throw new Error('the template refresh token must be unused (revision 1)');
  const context = (template.snapshot as { context: { userId: string; jwtKey: string } }).context;
  const text = encodeEnvelope(template);
  const kept: string[] = [];
  const BATCH = 2_000;
  for (let done = 0; done < count; done += BATCH) {
    const writes = [];
    for (let i = done; i < Math.min(count, done + BATCH); i++) {
      const id = newId();
      const secret = newSecret();
      // Ids and keys are random hex, found nowhere else in the record.
      const envelope = decodeEnvelope(text.replaceAll(templateId, id).replaceAll(context.jwtKey, newSecret()));
      writes.push(store.refreshTokens.create({ id, userId: context.userId, tokenHash: sha256Hex(secret) }, envelope));
      if (i % keepEvery === 0) kept.push(secret);
    }
    if ((await Promise.all(writes)).includes(false)) throw new Error('a cloned refresh token id was taken');
  }
  return kept;
}

/** The login behind an authorization code not yet redeemed: what more codes for the same login carry. */
export async function codeCredential(store: Store, code: string): Promise<LoginCredential> {
  const record = await loadRecord(store.grants, 'loginGrant', sha256Hex(code), quietLogger);
  if (record === null) throw new Error('the code is not in the store');
  return record.snapshot.context.credential;
}

/**
 * `count` authorization codes for the login `credential`, issued by the service's own
 * LoginGrantService on the store (each written as the service writes a code, audit entry included).
 */
export async function issueCodes(store: Store, credential: LoginCredential, count: number, clock = () => Date.now()): Promise<string[]> {
  const grants = loginGrantService(store, clock, quietLogger, refreshTokenService(store, clock, quietLogger, 'bench'));
  const codes: string[] = [];
  const BATCH = 1_000;
  for (let done = 0; done < count; done += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - done) }, () => grants.issue(CLIENT_ID, credential, null));
    codes.push(...(await Promise.all(batch)));
  }
  return codes;
}
