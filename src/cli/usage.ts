/**
 * The help texts, printed on stdout with exit code 0: the whole usage (`--help`, `-h`, no
 * arguments) and one family's commands (`hass-auth user`, `hass-auth user --help`).
 */
import { BCRYPT_ROUNDS_ENV } from './cli-config.js';
import type { CliCommand } from './command.js';

/** One line per command: its words and arguments, then what it does, in aligned columns. */
function commandLines(commands: CliCommand[]): string {
  const synopses = commands.map((command) => [command.words.join(' '), ...command.args].join(' '));
  const width = Math.max(...synopses.map((synopsis) => synopsis.length)) + 2;
  return commands.map((command, index) => `  ${(synopses[index] ?? '').padEnd(width)}${command.summary}`).join('\n');
}

export function familyUsageText(family: string, commands: CliCommand[]): string {
  const single = commands.length === 1 && commands[0]?.words.length === 1;
  return `Usage: hass-auth ${family}${single ? ' ' : ' COMMAND '}[ARGUMENTS]

${single ? 'Command' : 'Commands'}:
${commandLines(commands)}

Run 'hass-auth --help' for what they print, the environment and the exit codes.
`;
}

export function usageText(commands: CliCommand[]): string {
  return `Usage: hass-auth COMMAND [ARGUMENTS]

Administers the logins, refresh tokens and IP bans of the hass-auth store; the user commands print
what Home Assistant's \`hass --script auth\` prints.

Commands:
${commandLines(commands)}

user set-owner makes the user that logs in with USERNAME the owner (a login that never logged in
gets its user now), active, and the previous owner an ordinary user: onboarding stays done once
done, so this is how a deployment whose owner was deleted gets a new one.
token list prints one tab-separated line per live token:
  [USERNAME] ID TYPE CLIENT CREATED_AT LAST_USED_AT LAST_USED_IP EXPIRE_AT
(USERNAME only when none is given; times in ISO-8601 UTC, "never" when unset), then the total.
audit tail and audit show print one tab-separated line per transition:
  TIME MACHINE RECORD EVENT FROM→TO user=… client=… ip=… [DETAIL]
ban list prints one tab-separated line per banned address, IP BANNED_AT (ISO-8601 UTC), then the
total. On Redis, running instances see a lifted ban at their next request.
import-ha reads CONFIG_DIR/.storage/auth, auth_provider.homeassistant and auth_module.totp
(storage version 1.1) and onboarding (whose done user step keeps onboarding closed here), checks
them all, prints one line per record (new, present or conflict),
then writes what is new; a second run writes nothing. Bad input or a conflict writes nothing;
--on-conflict=keep leaves the store's record, replace takes Home Assistant's. --dry-run only prints.
secrets seal seals every stored secret not sealed with the first key of SECRETS_KEY (or of the key
file in DATA_DIR) with it, and prints how many; run it once every instance runs with the new key
first, before dropping the old one (a start with a new first key does it too).

The store is the server's, chosen by the same environment: REDIS_URL, or REDIS_SENTINELS with
REDIS_SENTINEL_MASTER (with REDIS_KEY_PREFIX and SECRETS_KEY or SECRETS_KEY_FILE) for Redis, else the
SQLite store in DATA_DIR (default ./data), which a running server holds:
stop the server before using the CLI on it. ${BCRYPT_ROUNDS_ENV} (for tests only) sets the
bcrypt cost of new passwords; it is Home Assistant's 12 otherwise.

Exit codes:
  0  the command ran, whatever it answered ("Auth invalid", "User not found", "Token not found",
     "Ban not found" included), as Home Assistant's script; or a help text: --help, -h, no
     arguments, or a command without its subcommand (hass-auth user lists the user commands)
  1  it could not run: invalid configuration, store unreachable or in use, keys that do not open
     the store; import-ha also when a
     file has problems or a conflict is left unresolved (with --dry-run: would be)
  2  a usage error, told in one line on stderr with a hint: an unknown command or option, the
     wrong number of arguments, or an argument of the wrong form (a COUNT that is no number, an IP
     that is no address)
`;
}
