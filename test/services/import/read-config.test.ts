/**
 * Reading Home Assistant's `.storage` files as Home Assistant loads them (ha-auth-spec §17): the
 * older shapes it still migrates from (no minor version, no groups, a group without a policy, tokens
 * from before `jwt_key`, `token_type`, `last_used_at` or `expire_at`), and every problem named by file
 * and field, with no secret in any message.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/domain/passwords.js';
import type { HomeAssistantData } from '../../../src/services/import/ha-records.js';
import { readHomeAssistantConfig } from '../../../src/services/import/read-config.js';
import { FIXTURE_DIR, HA } from '../../cli/ha-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

type Files = Partial<Record<'auth' | 'auth_provider.homeassistant' | 'auth_module.totp' | 'onboarding', unknown>>;

/** A configuration directory with these `.storage` files (objects are written as JSON). */
function configDir(files: Files): string {
  const dir = mkdtempSync(join(tmpdir(), 'hass-auth-ha-read-'));
  dirs.push(dir);
  mkdirSync(join(dir, '.storage'));
  for (const [key, content] of Object.entries(files)) {
    writeFileSync(join(dir, '.storage', key), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const wrap = (key: string, data: unknown, minor: number | null = 1) => ({ version: 1, ...(minor === null ? {} : { minor_version: minor }), key, data });

const USER = { id: 'u1', is_owner: true, is_active: true, name: 'Owner', system_generated: false };
const TOKEN = {
  id: 't1',
  user_id: 'u1',
  client_id: 'https://app.example/',
  created_at: '2019-03-01T10:00:00.000001+00:00',
  access_token_expiration: 1800.0,
  token: 'a'.repeat(128),
  jwt_key: 'b'.repeat(128),
};

function read(files: Files): HomeAssistantData {
  const result = readHomeAssistantConfig(configDir(files));
  if (!result.ok) throw new Error(`unexpected problems: ${JSON.stringify(result.problems)}`);
  return result.data;
}

function problemsOf(files: Files) {
  const result = readHomeAssistantConfig(configDir(files));
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('reading Home Assistant files', () => {
  it('reads the fixture as Home Assistant loads it', () => {
    const result = readHomeAssistantConfig(FIXTURE_DIR);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.data.users.map((user) => user.id)).toEqual([HA.alice.id, HA.content.id, HA.supervisor.id, HA.bob.id, HA.dave.id]);
    expect(result.data.refreshTokens.find((token) => token.input.id === HA.tokens.aliceLongLived)?.input).toMatchObject({
      tokenType: 'long_lived_access_token',
      clientName: 'Kitchen tablet',
      accessTokenExpirationS: 3650 * 86400,
      createdAt: Date.UTC(2026, 2, 1, 9),
      imported: { lastUsedAt: Date.UTC(2026, 2, 1, 9), lastUsedIp: null, expireAt: null },
    });
    expect(result.data.totpSecrets).toEqual([{ userId: HA.alice.id, secret: HA.totpSecret }]);
    expect(result.data.onboarded).toBe(true);
  });

  const owner = wrap('auth', { users: [USER], credentials: [], refresh_tokens: [] });
  const onboarding = (version: number, done: unknown) => ({ ...wrap('onboarding', { done }), version });

  it.each([1, 2, 3, 4])('reads the onboarding file of version %i: the user step done or not', (version) => {
    expect(read({ auth: owner, onboarding: onboarding(version, ['user', 'core_config']) })).toMatchObject({ onboarded: true });
    const notYet = read({ auth: owner, onboarding: onboarding(version, ['core_config']) });
    expect(notYet.onboarded).toBe(false);
    expect(notYet.files.at(-1)).toEqual({ file: '.storage/onboarding', version: `${version}.1`, contents: 'done: core_config' });
  });

  it('takes an absent onboarding file as not onboarded, and refuses one it cannot read', () => {
    expect(read({ auth: owner })).toMatchObject({ onboarded: false });
    expect(problemsOf({ auth: owner, onboarding: onboarding(5, ['user']) })).toEqual([
      {
        file: '.storage/onboarding',
        field: 'version',
        message: 'unknown storage version 5; this import reads versions 1 to 4, minor version 1 (every release of Home Assistant so far)',
      },
    ]);
    expect(problemsOf({ auth: owner, onboarding: onboarding(4, 'user') })).toEqual([
      { file: '.storage/onboarding', field: 'data.done', message: 'expected a list, found "user"' },
    ]);
  });

  it('reads a file from before groups and minor versions (Home Assistant 0.7x): defaults, admins, dropped tokens', () => {
    const data = read({
      auth: wrap(
        'auth',
        {
          users: [USER, { ...USER, id: 'sys', is_owner: false, name: 'Hass.io', system_generated: true }],
          credentials: [{ id: 'c1', user_id: 'u1', auth_provider_type: 'homeassistant', auth_provider_id: null, data: { username: 'owner' } }],
          access_tokens: [{ id: 'u1', refresh_token_id: 'old', created_at: '2018-07-01T00:00:00+00:00', token: 'x' }],
          refresh_tokens: [
            { ...TOKEN, id: 'old', jwt_key: undefined },
            TOKEN,
            { ...TOKEN, id: 'sys-token', user_id: 'sys', client_id: null, token: 'c'.repeat(128) },
            { ...TOKEN, id: 'bad-date', created_at: 'yesterday', token: 'd'.repeat(128) },
          ],
        },
        null,
      ),
      'auth_provider.homeassistant': wrap('auth_provider.homeassistant', { salt: 'legacy', users: [] }, null),
    });
    expect(data.files.map((file) => file.version)).toEqual(['1', '1', null, null]);
    expect(data.users).toEqual([
      { id: 'u1', name: 'Owner', isOwner: true, isActive: true, systemGenerated: false, localOnly: false, groupIds: ['system-admin'] },
      { id: 'sys', name: 'Hass.io', isOwner: false, isActive: true, systemGenerated: true, localOnly: false, groupIds: [] },
    ]);
    expect(data.refreshTokens.map((token) => [token.input.id, token.input.tokenType])).toEqual([
      ['t1', 'normal'],
      ['sys-token', 'system'],
    ]);
    expect(data.refreshTokens[0]?.input).toMatchObject({
      clientName: null,
      clientIcon: null,
      credentialId: null,
      version: null,
      createdAt: Date.UTC(2019, 2, 1, 10),
      imported: { lastUsedAt: null, lastUsedIp: null, expireAt: null },
    });
    expect(data.notes.map((note) => [note.file, note.field])).toEqual([
      ['.storage/auth', 'data.refresh_tokens[0]'],
      ['.storage/auth', 'data.refresh_tokens[3].created_at'],
      ['.storage/auth_provider.homeassistant', null],
    ]);
  });

  it("makes the members of the only, policy-less group admins, and leaves out custom groups' memberships with a note", () => {
    const stateOne = read({ auth: wrap('auth', { users: [{ ...USER, group_ids: ['abc'] }], groups: [{ id: 'abc', name: 'All Access' }], credentials: [], refresh_tokens: [] }) });
    expect(stateOne.users[0]?.groupIds).toEqual(['system-admin']);

    const custom = read({
      auth: wrap('auth', {
        users: [{ ...USER, group_ids: ['system-users', 'kids'], local_only: true }],
        groups: [{ id: 'system-users', name: 'Users' }, { id: 'kids', name: 'Kids', policy: { entities: { all: { read: true } } } }],
        credentials: [],
        refresh_tokens: [],
      }),
    });
    expect(custom.users[0]).toMatchObject({ groupIds: ['system-users'], localOnly: true });
    expect(custom.notes).toEqual([
      { file: '.storage/auth', field: 'data.users[0].group_ids[1]', message: 'custom group "kids" (Kids) left out: this service has only the system groups' },
    ]);
  });

  it("keeps what Home Assistant keeps of a token's fields, and reads what it cannot parse as it does", () => {
    const data = read({
      auth: wrap('auth', {
        users: [USER],
        credentials: [],
        refresh_tokens: [{ ...TOKEN, last_used_at: 'not a date', last_used_ip: '10.0.0.1', expire_at: 1758189600.2, credential_id: 'gone', version: '2025.6.3', token_type: null }],
      }),
    });
    expect(data.refreshTokens[0]?.input).toMatchObject({
      tokenType: 'normal',
      credentialId: null,
      version: '2025.6.3',
      imported: { lastUsedAt: null, lastUsedIp: '10.0.0.1', expireAt: 1758189600200 },
    });
    expect(data.notes.map((note) => note.field)).toEqual(['data.refresh_tokens[0].last_used_at', 'data.refresh_tokens[0].credential_id']);
  });

  it('leaves out, with a note, a TOTP secret of a user that .storage/auth does not have', () => {
    const data = read({
      auth: wrap('auth', { users: [USER], credentials: [], refresh_tokens: [] }),
      'auth_module.totp': wrap('auth_module.totp', { users: { u1: 'JBSWY3DPEHPK3PXP', gone: 'JBSWY3DPEHPK3PXP' } }),
    });
    expect(data.totpSecrets).toEqual([{ userId: 'u1', secret: 'JBSWY3DPEHPK3PXP' }]);
    expect(data.notes).toEqual([{ file: '.storage/auth_module.totp', field: 'data.users.gone', message: 'no user "gone" in .storage/auth: left out' }]);
  });

  it('names the file and field of every problem, and quotes no secret', async () => {
    const goodHash = await hashPassword('pw', { rounds: 4 });
    const problems = problemsOf({
      auth: wrap('auth', {
        users: [USER, { ...USER, name: 'Second owner' }, { ...USER, id: 'u2', is_owner: false, group_ids: ['nope'] }],
        credentials: [
          { id: 'c1', user_id: 'u1', auth_provider_type: 'homeassistant', auth_provider_id: null, data: { username: 'Owner' } },
          { id: 'c2', user_id: 'nobody', auth_provider_type: 'homeassistant', auth_provider_id: null, data: { username: 'owner' } },
        ],
        refresh_tokens: [{ ...TOKEN, token_type: 'forever' }, { ...TOKEN, id: 't2', user_id: 'u9', jwt_key: 42 }],
      }),
      'auth_provider.homeassistant': wrap('auth_provider.homeassistant', {
        users: [
          { username: 'owner', password: goodHash },
          { username: 'owner', password: 'cGJrZGYy' },
        ],
      }),
      'auth_module.totp': wrap('auth_module.totp', { users: { u1: 'not base32!' } }),
    });
    expect(problems.map(({ file, field }) => `${file}: ${field}`)).toEqual([
      '.storage/auth: data.users[1].id',
      '.storage/auth: data.users[1].is_owner',
      '.storage/auth: data.users[2].group_ids[0]',
      '.storage/auth: data.credentials[0].data.username',
      '.storage/auth: data.credentials[1].user_id',
      '.storage/auth: data.refresh_tokens[0].token_type',
      '.storage/auth: data.refresh_tokens[1].user_id',
      '.storage/auth: data.refresh_tokens[1].jwt_key',
      '.storage/auth: data.refresh_tokens[1].token',
      '.storage/auth_provider.homeassistant: data.users[1].username',
      '.storage/auth_provider.homeassistant: data.users[1].password',
      '.storage/auth_module.totp: data.users.u1',
    ]);
    expect(problems.map((problem) => problem.message)).toEqual([
      '"u1" is the id of data.users[0] already',
      'a second owner (data.users[0].is_owner is one): there is one owner',
      'no group "nope" in data.groups',
      expect.stringMatching(/^username "Owner" is not normalized \(it would be "owner"\)/),
      'no user "nobody" in data.users',
      'expected one of normal, system, long_lived_access_token, found "forever"',
      'no user "u9" in data.users',
      'expected a non-empty string, found 42',
      'the same secret as data.refresh_tokens[0]',
      '"owner" is the username of data.users[0] already',
      'is not the base64 of a bcrypt hash, which is all Home Assistant checks: set a new password in Home Assistant and import again',
      'is not a base32 secret',
    ]);
    const text = JSON.stringify(problems);
    for (const secret of ['a'.repeat(16), 'b'.repeat(16), goodHash, 'cGJrZGYy', 'not base32']) expect(text).not.toContain(secret);
  });

  it('refuses a directory without .storage, a missing provider file that logins need, and a file under another key', () => {
    expect(readHomeAssistantConfig(join(tmpdir(), 'no-such-ha-config'))).toMatchObject({ ok: false, problems: [{ file: '.storage', field: null }] });
    const auth = wrap('auth', {
      users: [USER],
      credentials: [{ id: 'c1', user_id: 'u1', auth_provider_type: 'homeassistant', auth_provider_id: null, data: { username: 'owner' } }],
      refresh_tokens: [],
    });
    expect(problemsOf({ auth })).toEqual([
      { file: '.storage/auth_provider.homeassistant', field: null, message: 'missing, yet 1 credential of .storage/auth log in with the homeassistant provider' },
    ]);
    expect(problemsOf({ auth, 'auth_provider.homeassistant': wrap('auth', { users: [] }) })).toEqual([
      { file: '.storage/auth_provider.homeassistant', field: 'key', message: 'expected "auth_provider.homeassistant", found "auth": is this the right file?' },
    ]);
  });
});
