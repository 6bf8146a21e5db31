/**
 * `hass-auth` as a command: its usage text and exit codes, and the one-line failures an operator
 * fixes (configuration, a data directory held by the server, Redis out of reach). Real processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { COMMANDS } from '../../src/cli/run-cli.js';
import { usageText } from '../../src/cli/usage.js';
import { loadConfig } from '../../src/config.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { FAST_HASHES, hassAuth } from './cli-process.js';

const usage = usageText(COMMANDS);

function tempDataDir(onTestFinished: (cleanup: () => void) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'hass-auth-cli-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe.concurrent('the hass-auth command line', { timeout: 60_000 }, () => {
  it('prints its usage on stderr and exits 2 without arguments, run through its shebang', async ({ expect }) => {
    const result = await hassAuth([], {}, { direct: true });
    expect(result).toEqual({ code: 2, stdout: '', stderr: usage });
    expect(usage).toContain('user change-password USERNAME NEW_PASSWORD');
    expect(usage).toContain('token list [USERNAME]');
    expect(usage).toContain('ban lift IP');
  });

  it.for([
    { args: ['--help'], problem: '' },
    { args: ['user', 'frobnicate'], problem: 'hass-auth: unknown command: user frobnicate\n\n' },
    { args: ['user', 'add', 'alice'], problem: 'hass-auth: user add takes USERNAME PASSWORD\n\n' },
    { args: ['ban', 'lift'], problem: 'hass-auth: ban lift takes IP\n\n' },
    { args: ['ban', 'list', 'x'], problem: 'hass-auth: ban list takes no arguments\n\n' },
  ])('answers $args with the usage and exit code 2', async ({ args, problem }, { expect }) => {
    expect(await hassAuth(args, {})).toEqual({ code: 2, stdout: '', stderr: `${problem}${usage}` });
  });

  it('stops with one line naming a bad variable, exit 1', async ({ expect, onTestFinished }) => {
    const env = { DATA_DIR: tempDataDir(onTestFinished), REDIS_KEY_PREFIX: 'not valid!' };
    const message = (() => {
      try {
        loadConfig(env);
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toMatch(/^Invalid configuration: REDIS_KEY_PREFIX /);
    expect(await hassAuth(['user', 'list'], env)).toEqual({ code: 1, stdout: '', stderr: `hass-auth: ${message}\n` });
    const rounds = await hassAuth(['user', 'list'], { DATA_DIR: env.DATA_DIR, HASS_AUTH_BCRYPT_ROUNDS: '99' });
    expect(rounds).toEqual({
      code: 1,
      stdout: '',
      stderr: 'hass-auth: Invalid configuration: HASS_AUTH_BCRYPT_ROUNDS must be an integer from 4 to 31\n',
    });
  });

  it('stops with one line when Redis cannot be reached, exit 1', async ({ expect }) => {
    const result = await hassAuth(['user', 'list'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^hass-auth: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/?: [^\n]+\n$/);
  });

  it('refuses a DATA_DIR that a running server holds, saying so, exit 1', async ({ expect, onTestFinished }) => {
    const dir = tempDataDir(onTestFinished);
    const server = openSqliteStore({ dataDir: dir });
    onTestFinished(() => server.close());
    expect(await hassAuth(['user', 'add', 'alice', 'pw'], { DATA_DIR: dir, ...FAST_HASHES })).toEqual({
      code: 1,
      stdout: '',
      stderr: `hass-auth: DATA_DIR ${dir} is in use by another hass-auth process; stop the server that uses it, then run this command again\n`,
    });
    expect(await server.users.listPasswords()).toEqual([]);
  });

  it("hashes with Home Assistant's cost 12 unless HASS_AUTH_BCRYPT_ROUNDS says otherwise", async ({ expect, onTestFinished }) => {
    const dir = tempDataDir(onTestFinished);
    expect(await hassAuth(['user', 'add', 'alice', 'pw'], { DATA_DIR: dir })).toEqual({ code: 0, stdout: 'Auth created\n', stderr: '' });
    const store = openSqliteStore({ dataDir: dir });
    onTestFinished(() => store.close());
    const stored = (await store.users.getPassword('alice'))?.passwordHash ?? '';
    expect(Buffer.from(stored, 'base64').toString('latin1')).toMatch(/^\$2b\$12\$/);
  });
});
