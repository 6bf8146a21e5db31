/**
 * `hass-auth` as a command: its help (stdout, exit 0: the whole usage, or a family's commands), its
 * usage errors (one line and a hint on stderr, exit 2), and the one-line failures an operator fixes
 * (configuration, a data directory held by the server, Redis out of reach; exit 1). Real processes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { COMMANDS } from '../../src/cli/run-cli.js';
import { usageText } from '../../src/cli/usage.js';
import { loadConfig } from '../../src/config.js';
import { openSqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { TEST_SECRETS_KEY } from '../stores/redis-harness.js';
import { FAST_HASHES, hassAuth } from './cli-process.js';

const usage = usageText(COMMANDS);

function tempDataDir(onTestFinished: (cleanup: () => void) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'hass-auth-cli-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe.concurrent('the hass-auth command line', { timeout: 60_000 }, () => {
  it('prints its usage on stdout and exits 0 without arguments, run through its shebang', async ({ expect }) => {
    const result = await hassAuth([], {}, { direct: true });
    expect(result).toEqual({ code: 0, stdout: usage, stderr: '' });
    expect(usage).toContain('user change-password USERNAME NEW_PASSWORD');
    expect(usage).toContain('token list [USERNAME]');
    expect(usage).toContain('ban lift IP');
    // Help is in its own list of exit codes.
    expect(usage).toContain('  0  the command ran');
    expect(usage).toContain('or a help text: --help, -h, no\n     arguments');
  });

  it.for([['--help'], ['-h']])('answers %j with the usage on stdout and exit code 0', async (args, { expect }) => {
    expect(await hassAuth(args, {})).toEqual({ code: 0, stdout: usage, stderr: '' });
  });

  it.for([['user'], ['user', '--help'], ['ban', '-h']])('lists the subcommands of %j on stdout, exit code 0', async (args, { expect }) => {
    const family = args[0] ?? '';
    const result = await hassAuth(args, {});
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Usage: hass-auth ${family} COMMAND \\[ARGUMENTS\\]\n\nCommands:\n`));
    const lines = result.stdout.split('\n').filter((line) => line.startsWith(`  ${family} `));
    expect(lines.map((line) => line.trim().split(/\s{2,}/)[0])).toEqual(
      COMMANDS.filter(({ words }) => words[0] === family).map((command) => [command.words.join(' '), ...command.args].join(' ')),
    );
  });

  it.for([
    { args: ['frobnicate'], problem: 'unknown command: frobnicate', hint: "Run 'hass-auth --help' for the commands." },
    { args: ['user', 'frobnicate'], problem: 'unknown command: user frobnicate', hint: "Run 'hass-auth user --help' for its commands." },
    { args: ['user', 'add', 'alice'], problem: 'user add takes USERNAME PASSWORD', hint: "Run 'hass-auth user --help' for its commands." },
    { args: ['ban', 'lift'], problem: 'ban lift takes IP', hint: "Run 'hass-auth ban --help' for its commands." },
    { args: ['ban', 'list', 'x'], problem: 'ban list takes no arguments', hint: "Run 'hass-auth ban --help' for its commands." },
    { args: ['ban', 'lift', 'not-an-ip'], problem: 'ban lift: IP must be an IPv4 or IPv6 address, not not-an-ip', hint: "Run 'hass-auth ban --help' for its commands." },
    { args: ['audit', 'tail', 'abc'], problem: 'audit tail: COUNT must be a whole number above 0, not abc', hint: "Run 'hass-auth audit --help' for its commands." },
    { args: ['audit', 'tail', '0'], problem: 'audit tail: COUNT must be a whole number above 0, not 0', hint: "Run 'hass-auth audit --help' for its commands." },
    { args: ['import-ha'], problem: 'import-ha takes CONFIG_DIR [--dry-run] [--on-conflict=keep|replace]', hint: "Run 'hass-auth import-ha --help' for its commands." },
  ])('answers $args with one line and a hint on stderr, exit code 2, before opening any store', async ({ args, problem, hint }, { expect }) => {
    // REDIS_URL points nowhere: a command that opened the store would fail with exit 1 instead.
    expect(await hassAuth(args, { REDIS_URL: 'redis://127.0.0.1:1' })).toEqual({ code: 2, stdout: '', stderr: `hass-auth: ${problem}\n${hint}\n` });
  });

  it('prints the one command of import-ha for `import-ha --help`', async ({ expect }) => {
    const result = await hassAuth(['import-ha', '--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: hass-auth import-ha \[ARGUMENTS\]\n\nCommand:\n {2}import-ha CONFIG_DIR/);
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
    const result = await hassAuth(['user', 'list'], { REDIS_URL: 'redis://127.0.0.1:1', SECRETS_KEY: TEST_SECRETS_KEY });
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
