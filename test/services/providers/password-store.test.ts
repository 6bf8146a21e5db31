import * as bcrypt from '@node-rs/bcrypt';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DUMMY_HASH, hashPassword } from '../../../src/domain/passwords.js';
import { answerOf, CodedError } from '../../../src/domain/errors.js';
import {
  casefold,
  createHomeAssistantProvider,
  normalizeUsername,
  pythonStrip,
  type HomeAssistantProviderOptions,
} from '../../../src/services/providers/password-store.js';
import { newId } from '../../../src/domain/ids.js';
import { openSqliteStore } from '../../../src/stores/sqlite/sqlite-store.js';
import { aUser } from '../../support/fixtures.js';
import type { UserStore } from '../../../src/stores/types.js';

// The real bcrypt, watched: each login attempt must cost exactly one bcrypt check.
vi.mock('@node-rs/bcrypt', async (importOriginal) => {
  const actual = await importOriginal<typeof bcrypt>();
  return { ...actual, verify: vi.fn(actual.verify) };
});
const bcryptVerify = vi.mocked(bcrypt.verify);

/** Cost 4 keeps the suite fast; one test checks that the default stays Home Assistant's 12. */
function setup(options: HomeAssistantProviderOptions = { rounds: 4 }) {
  const users: UserStore = openSqliteStore({ dataDir: ':memory:', clock: () => 0 }).users;
  return { users, provider: createHomeAssistantProvider(users, options) };
}

/** HA's InvalidUser as a WebSocket command answers it: `home_assistant_error` with its translation. */
async function rejection(promise: Promise<unknown>) {
  const error: unknown = await promise.then(
    () => expect.fail('expected an InvalidUser'),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CodedError);
  return answerOf(error as CodedError).ws;
}

const notNormalized = (name: string) => ({
  code: 'home_assistant_error',
  translation: { domain: 'auth', key: 'username_not_normalized', placeholders: { new_username: name } },
  message: `Username "${name}" is not normalized. Please make sure the username is lowercase and does not contain any whitespace.`,
});
const alreadyExists = (name: string) => ({
  translation: { key: 'username_already_exists', placeholders: { username: name } },
  message: `Username "${name}" already exists`,
});
const userNotFound = { translation: { key: 'user_not_found', placeholders: null }, message: 'User not found' };

beforeEach(() => {
  bcryptVerify.mockClear();
});

describe('normalizeUsername (Python username.strip().casefold())', () => {
  it("strips Python's whitespace set, not JavaScript's", () => {
    expect(normalizeUsername('  alice\t\n')).toBe('alice');
    expect(pythonStrip('\u3000\u00a0\u2028alice\u0085\u001c')).toBe('alice');
    expect(pythonStrip('\ufeffalice')).toBe('\ufeffalice'); // U+FEFF is no space to Python
    expect(pythonStrip('al ice')).toBe('al ice');
  });

  it('folds case fully, where toLowerCase() does not', () => {
    expect(normalizeUsername('ALICE')).toBe('alice');
    expect(casefold('Straße')).toBe('strasse');
    expect(casefold('ẞ')).toBe('ss');
    expect(casefold('ΣΑΣ')).toBe('σασ'); // no final sigma
    expect(casefold('ﬁ µ ſ')).toBe('fi μ s');
    expect(casefold('İı')).toBe('i\u0307ı');
    expect(casefold('ꭰᏸ')).toBe('ᎠᏰ'); // Cherokee folds to uppercase
    expect(casefold('😀 ok')).toBe('😀 ok');
  });
});

describe('validateLogin', () => {
  it('accepts the password under any spelling that normalizes to the username', async () => {
    const { provider } = setup();
    await provider.addAuth('test-user', 'test-pass');
    expect(await provider.validateLogin('test-user', 'test-pass')).toBe(true);
    expect(await provider.validateLogin(' TEST-User ', 'test-pass')).toBe(true);
  });

  it('refuses a wrong password with one bcrypt check', async () => {
    const { provider } = setup();
    await provider.addAuth('test-user', 'test-pass');
    expect(await provider.validateLogin('test-user', 'Test-pass')).toBe(false);
    expect(bcryptVerify).toHaveBeenCalledTimes(1);
    expect(bcryptVerify.mock.calls[0]?.[1]).not.toBe(DUMMY_HASH);
  });

  it("refuses an unknown username after one bcrypt check of Home Assistant's dummy hash", async () => {
    const { provider } = setup();
    await provider.addAuth('test-user', 'test-pass');
    expect(await provider.validateLogin('non-existing', 'test-pass')).toBe(false);
    expect(bcryptVerify).toHaveBeenCalledTimes(1);
    expect(bcryptVerify).toHaveBeenCalledWith('foo', DUMMY_HASH);
  });

  it('compares every entry, with no early exit: the last match wins, as in Home Assistant', async () => {
    const { users, provider } = setup();
    // Two entries that normalize alike can only come from an import around the provider.
    await users.addPassword({ username: 'Alice', passwordHash: await hashPassword('first', { rounds: 4 }) });
    await users.addPassword({ username: 'alice', passwordHash: await hashPassword('second', { rounds: 4 }) });
    expect(await provider.validateLogin('alice', 'second')).toBe(true);
    expect(await provider.validateLogin('alice', 'first')).toBe(false);
  });
});

describe('addAuth', () => {
  it("stores Home Assistant's format: base64 of a $2b$ hash, under the username as given", async () => {
    const { users, provider } = setup();
    await provider.addAuth('alice', 'pw');
    const entry = await users.getPassword('alice');
    expect(Buffer.from(entry?.passwordHash ?? '', 'base64').toString('latin1')).toMatch(/^\$2b\$04\$.{53}$/);
  });

  it("hashes at Home Assistant's cost 12 unless told otherwise", async () => {
    const { users, provider } = setup({});
    await provider.addAuth('alice', 'pw');
    const entry = await users.getPassword('alice');
    expect(Buffer.from(entry?.passwordHash ?? '', 'base64').toString('latin1')).toMatch(/^\$2b\$12\$/);
  });

  it('refuses a username that is not normalized, with Home Assistant\'s message', async () => {
    const { provider } = setup();
    for (const name of ['Alice', ' alice', 'alice\t', 'straße']) {
      expect(await rejection(provider.addAuth(name, 'pw'))).toMatchObject(notNormalized(name));
    }
    expect(await provider.listUsernames()).toEqual([]);
  });

  it('refuses a username that exists', async () => {
    const { provider } = setup();
    await provider.addAuth('alice', 'pw');
    expect(await rejection(provider.addAuth('alice', 'other'))).toMatchObject(alreadyExists('alice'));
    expect(await provider.validateLogin('alice', 'pw')).toBe(true);
  });

  it('refuses a username that an imported, non-normalized entry already normalizes to', async () => {
    const { users, provider } = setup();
    await users.addPassword({ username: 'Bob', passwordHash: await hashPassword('pw', { rounds: 4 }) });
    expect(await rejection(provider.addAuth('bob', 'pw'))).toMatchObject(alreadyExists('bob'));
  });
});

describe('changePassword', () => {
  it('replaces the password of the user the name normalizes to', async () => {
    const { provider } = setup();
    await provider.addAuth('test-user', 'test-pass');
    await provider.changePassword(' Test-User ', 'new-pass');
    expect(await provider.validateLogin('test-user', 'test-pass')).toBe(false);
    expect(await provider.validateLogin('test-user', 'new-pass')).toBe(true);
  });

  it('refuses an unknown user', async () => {
    const { provider } = setup();
    expect(await rejection(provider.changePassword('non-existing', 'pw'))).toMatchObject(userNotFound);
  });
});

describe('changeUsername', () => {
  it('moves the password to the new name', async () => {
    const { provider } = setup();
    await provider.addAuth('alice', 'pw');
    await provider.changeUsername('ALICE', 'bob');
    expect(await provider.listUsernames()).toEqual(['bob']);
    expect(await provider.validateLogin('bob', 'pw')).toBe(true);
  });

  it('validates the new name as addAuth does, before it looks up the old one', async () => {
    const { provider } = setup();
    await provider.addAuth('alice', 'pw');
    await provider.addAuth('bob', 'pw');
    expect(await rejection(provider.changeUsername('alice', 'Carol'))).toMatchObject(notNormalized('Carol'));
    expect(await rejection(provider.changeUsername('alice', 'bob'))).toMatchObject(alreadyExists('bob'));
    expect(await rejection(provider.changeUsername('nobody', 'Carol'))).toMatchObject(notNormalized('Carol'));
    expect(await rejection(provider.changeUsername('nobody', 'carol'))).toMatchObject(userNotFound);
    expect(await provider.listUsernames()).toEqual(['alice', 'bob']);
  });

  it("answers the store's refusal of the credential that follows the name, and moves nothing", async () => {
    const { users, provider } = setup();
    await provider.addAuth('alice', 'pw');
    const [mine, theirs] = [aUser(), aUser()];
    for (const user of [mine, theirs]) await users.createUser(user);
    const credential = { id: newId(), userId: mine.id, authProviderType: 'homeassistant', authProviderId: null, data: { username: 'alice' }, lookupKey: 'alice' };
    const renamed = (username: string) => ({ ...credential, data: { username }, lookupKey: username });
    // The credential was removed meanwhile (another instance): the login is gone.
    expect(await rejection(provider.changeUsername('alice', 'bob', renamed('bob')))).toMatchObject(userNotFound);
    await users.addCredential(credential);
    // Another user's credential, left without a password entry, holds the name.
    await users.addCredential({ ...credential, id: newId(), userId: theirs.id, data: { username: 'carol' }, lookupKey: 'carol' });
    expect(await rejection(provider.changeUsername('alice', 'carol', renamed('carol')))).toMatchObject(alreadyExists('carol'));
    expect(await provider.listUsernames()).toEqual(['alice']);
    expect(await users.findCredential('homeassistant', null, 'alice')).toEqual(credential);
    await provider.changeUsername('alice', 'bob', renamed('bob'));
    expect(await provider.listUsernames()).toEqual(['bob']);
    expect(await users.findCredential('homeassistant', null, 'bob')).toEqual(renamed('bob'));
  });
});

describe('removeAuth and listUsernames', () => {
  it('removes the entry the name normalizes to and lists the rest in insertion order', async () => {
    const { provider } = setup();
    await provider.addAuth('alice', 'pw');
    await provider.addAuth('bob', 'pw');
    await provider.addAuth('carol', 'pw');
    await provider.removeAuth(' Bob');
    expect(await provider.listUsernames()).toEqual(['alice', 'carol']);
  });

  it('refuses an unknown user', async () => {
    const { provider } = setup();
    expect(await rejection(provider.removeAuth('bob'))).toMatchObject(userNotFound);
  });
});
