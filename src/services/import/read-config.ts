/**
 * Reads what the import needs from Home Assistant's configuration directory, and nothing else:
 * `.storage/auth` (users, groups, credentials, refresh tokens), `.storage/auth_provider.homeassistant`
 * (password hashes) and `.storage/auth_module.totp` (TOTP secrets). Every file is read and checked in
 * full before anything is compared or written, so that every problem is reported at once.
 *
 * `.storage/auth` must exist (Home Assistant writes it when it is onboarded). The provider's file may
 * be absent only when no credential uses the `homeassistant` provider; the TOTP file is absent until
 * someone sets up the authenticator app. `.storage/onboarding` (`{"done": ["user", …]}`) says whether
 * Home Assistant's onboarding `user` step is done, which the import carries over so that onboarding
 * stays closed here even when Home Assistant's owner was deleted; absent, it was not onboarded.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Credential, PasswordEntry } from '../../domain/models.js';
import { readRefreshTokens } from './auth-tokens.js';
import { readCredentials, readUsers } from './auth-users.js';
import type { FileSummary, HomeAssistantData, ImportedTotpSecret, ImportedUser, ReadResult } from './ha-records.js';
import { fieldAt, type InputProblem } from './input-problems.js';
import { readPasswords } from './provider-file.js';
import { readStorageFile, type StorageFile } from './storage-file.js';
import { readTotpSecrets } from './totp-file.js';

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const usable = (file: StorageFile) => file.present && file.reader.problems.length === 0;

function readAuth(configDir: string) {
  const file = readStorageFile(configDir, 'auth');
  if (!file.present) file.reader.problem(null, 'missing: Home Assistant writes it when it is onboarded');
  if (!usable(file)) return { file, users: [], credentials: [], refreshTokens: [], contents: '' };
  const root = file.reader.object(file.data, 'data');
  const users = readUsers(root, file.reader);
  const credentials = readCredentials(root, users, file.reader);
  const refreshTokens = readRefreshTokens(root, users, credentials, file.reader);
  const contents = [count(users.length, 'user'), count(credentials.length, 'credential'), count(refreshTokens.length, 'refresh token')].join(', ');
  return { file, users, credentials, refreshTokens, contents };
}

function readProvider(configDir: string, credentials: Credential[]) {
  const file = readStorageFile(configDir, 'auth_provider.homeassistant');
  const logins = credentials.filter((credential) => credential.authProviderType === 'homeassistant').length;
  if (!file.present) {
    if (logins > 0) file.reader.problem(null, `missing, yet ${count(logins, 'credential')} of .storage/auth log in with the homeassistant provider`);
    return { file, passwords: [] as PasswordEntry[], contents: 'absent: no homeassistant logins' };
  }
  const passwords = usable(file) ? readPasswords(file.data, file.reader) : [];
  return { file, passwords, contents: count(passwords.length, 'login') };
}

function readTotp(configDir: string, users: ImportedUser[] | null) {
  const file = readStorageFile(configDir, 'auth_module.totp');
  if (!file.present) return { file, totpSecrets: [] as ImportedTotpSecret[], contents: 'absent: nobody set up the authenticator app' };
  const userIds = users === null ? null : new Set(users.map((user) => user.id));
  const totpSecrets = usable(file) ? readTotpSecrets(file.data, userIds, file.reader) : [];
  return { file, totpSecrets, contents: count(totpSecrets.length, 'TOTP secret') };
}

function readOnboarding(configDir: string) {
  const file = readStorageFile(configDir, 'onboarding');
  if (!file.present) return { file, onboarded: false, contents: 'absent: Home Assistant was not onboarded' };
  const done = usable(file) ? file.reader.stringList(file.reader.object(file.data, 'data').done, 'data.done') : [];
  return { file, onboarded: done.includes('user'), contents: done.length === 0 ? 'no step done' : `done: ${done.join(', ')}` };
}

/** Logins whose two halves do not meet: worth a note, as in Home Assistant they behave as described. */
function loginNotes(credentials: Credential[], passwords: PasswordEntry[], provider: StorageFile): void {
  const usernames = new Set(passwords.map((entry) => entry.username));
  const linked = new Set(credentials.filter((c) => c.authProviderType === 'homeassistant').map((c) => c.lookupKey));
  passwords.forEach(({ username }, index) => {
    if (!linked.has(username)) {
      provider.reader.note(fieldAt(fieldAt('data.users', index), 'username'), `"${username}" has no user yet: its first login creates one (an administrator), as in Home Assistant`);
    }
  });
  for (const username of linked) {
    if (!usernames.has(username) && provider.present) provider.reader.note(null, `no password for "${username}", whose credential is in .storage/auth: that login cannot log in, as in Home Assistant`);
  }
}

export function readHomeAssistantConfig(configDir: string): ReadResult {
  if (!existsSync(join(configDir, '.storage'))) {
    const problem: InputProblem = { file: '.storage', field: null, message: `missing: is ${configDir} Home Assistant's configuration directory (the one that holds configuration.yaml and .storage)?` };
    return { ok: false, problems: [problem], files: [] };
  }
  const auth = readAuth(configDir);
  const provider = readProvider(configDir, auth.credentials);
  const totp = readTotp(configDir, usable(auth.file) ? auth.users : null);
  const onboarding = readOnboarding(configDir);
  const read = [auth, provider, totp, onboarding];
  const files: FileSummary[] = read.map(({ file, contents }) => ({ file: file.file, version: file.version, contents }));
  const problems = read.flatMap(({ file }) => file.reader.problems);
  if (problems.length > 0) return { ok: false, problems, files };
  loginNotes(auth.credentials, provider.passwords, provider.file);
  const data: HomeAssistantData = {
    users: auth.users,
    credentials: auth.credentials,
    passwords: provider.passwords,
    totpSecrets: totp.totpSecrets,
    refreshTokens: auth.refreshTokens,
    onboarded: onboarding.onboarded,
    files,
    notes: read.flatMap(({ file }) => file.reader.notes),
  };
  return { ok: true, data };
}
