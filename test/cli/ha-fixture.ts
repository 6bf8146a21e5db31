/**
 * A Home Assistant configuration directory written from the formats of ha-auth-spec §17
 * (fixtures/ha-config/.storage/): Alice, the owner, with a login, TOTP, a session of the frontend and
 * a long-lived token; Bob (local only, `system-users`) with a login and a session of the iOS app;
 * Dave, a user without credentials; the system users "Home Assistant Content" and "Supervisor" (with
 * its system token); and carol, a login that never logged in (no user yet). Onboarding is done.
 * Passwords are Home Assistant's cost-12 bcrypt hashes, base64-encoded.
 *
 * Tests work on a copy in a temporary directory, which they may break in the ways the import must
 * refuse.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { sha256Hex } from '../../src/domain/ids.js';
import type { Store } from '../../src/stores/types.js';

export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/ha-config', import.meta.url));

export const HA = {
  alice: { id: '953a41a301795d9588c070f793eaf740', credentialId: '43ca9810bb2b0d0f4d411d9e03579656', username: 'alice', password: 'correct horse battery staple' },
  bob: { id: '23659318181810d4c1a6828d44a69b51', credentialId: 'e594bcdc7a8cb26854c5034ba7a8224c', username: 'bob', password: "bob's password" },
  carol: { username: 'carol', password: 'carol never logged in' },
  dave: { id: 'd1d4125641a9490fe84f28e2298b8af4' },
  content: { id: '17d67b1e6bde559fde8e331faa068b1d' },
  supervisor: { id: 'f78d06a26c6864ffd1647b2e2d118001' },
  totpSecret: 'XWB3PPSKJPYHPBPHY3EPKPJDS33PEWDX',
  tokens: {
    aliceApp: '9ac7b847ae4a7fcbd18c892ea47e2918',
    aliceLongLived: 'cf443722c83bbfb9444e1b868ce0535e',
    bobPhone: '3f979ae12f4c5bc78972893d000f6061',
    supervisor: '2f04778618fa432c408d875633203283',
  },
  /** The frontend's client id, and the iOS app's. */
  frontend: 'http://homeassistant.local:8123/',
  iosApp: 'https://home-assistant.io/iOS',
} as const;

export const USER_IDS = [HA.alice.id, HA.content.id, HA.supervisor.id, HA.bob.id, HA.dave.id];
export const TOKEN_IDS = Object.values(HA.tokens);
export const CREDENTIAL_IDS = [HA.alice.credentialId, HA.bob.credentialId];

export type StorageKey = 'auth' | 'auth_provider.homeassistant' | 'auth_module.totp' | 'onboarding';

type Json = Record<string, unknown>;

export function readFixture(key: StorageKey, dir = FIXTURE_DIR): Json {
  return JSON.parse(readFileSync(join(dir, '.storage', key), 'utf8')) as Json;
}

interface StoredToken {
  id: string;
  token: string;
  jwt_key: string;
  created_at: string;
  access_token_expiration: number;
}

/** A refresh token as `.storage/auth` has it, secrets included. */
export function fixtureToken(id: string): StoredToken {
  const { refresh_tokens: tokens } = (readFixture('auth') as { data: { refresh_tokens: StoredToken[] } }).data;
  const token = tokens.find((candidate) => candidate.id === id);
  if (token === undefined) throw new Error(`no token ${id} in the fixture`);
  return token;
}

/**
 * The access token Home Assistant handed out when Alice made her long-lived token: PyJWT's HS256 JWT
 * `{iss, iat, exp}` signed with the token's `jwt_key` (the ASCII string), valid for its lifespan.
 */
export async function homeAssistantLongLivedJwt(): Promise<string> {
  const token = fixtureToken(HA.tokens.aliceLongLived);
  const iat = Math.floor(Date.parse(token.created_at) / 1000);
  return new SignJWT({ iss: token.id, iat, exp: iat + Math.trunc(token.access_token_expiration) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(token.jwt_key));
}

/** A copy of the fixture directory that the test may change; removed by `cleanup`. */
export function copyFixture(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hass-auth-ha-config-'));
  cpSync(FIXTURE_DIR, dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeStorage(dir: string, key: StorageKey, content: Json | string): void {
  writeFileSync(join(dir, '.storage', key), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
}

/** Changes a copy's file through its parsed JSON. */
export function editStorage(dir: string, key: StorageKey, edit: (file: { version: unknown; minor_version?: unknown; data: Json }) => void): void {
  const file = readFixture(key, dir) as { version: unknown; data: Json };
  edit(file);
  writeStorage(dir, key, file);
}

/**
 * Everything the store holds that an import could touch, for "nothing changed" comparisons: the
 * users, passwords, and per fixture id and per user the credentials, TOTP secrets and refresh-token
 * records (envelopes with their revisions) and the id each token's secret finds; whether it is onboarded.
 */
export async function dumpStore(store: Store) {
  const users = await store.users.listUsers();
  const userIds = [...new Set([...users.map((user) => user.id), ...USER_IDS])].sort();
  const perUser = await Promise.all(
    userIds.map(async (userId) => ({
      userId,
      credentials: await store.users.listCredentials(userId),
      totp: await store.mfa.getSecret('totp', userId),
      tokens: (await store.refreshTokens.listByUser(userId)).sort((a, b) => a.id.localeCompare(b.id)),
    })),
  );
  const tokens = await Promise.all(
    TOKEN_IDS.map(async (id) => ({ id, record: await store.refreshTokens.load(id), bySecret: await secretOwner(store, id) })),
  );
  const credentials = await Promise.all(CREDENTIAL_IDS.map((id) => store.users.getCredential(id)));
  const passwords = (await store.users.listPasswords()).sort((a, b) => a.username.localeCompare(b.username));
  const onboarded = await store.users.isOnboarded();
  return { users: users.sort((a, b) => a.id.localeCompare(b.id)), passwords, perUser, tokens, credentials, onboarded };
}

function secretOwner(store: Store, tokenId: string): Promise<string | null> {
  return store.refreshTokens.findIdByTokenHash(sha256Hex(fixtureToken(tokenId).token));
}
