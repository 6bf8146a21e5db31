/**
 * `hass-auth`: parses the command line, opens the store the server uses, runs one command, closes
 * the store, and returns the exit code (documented in usage.ts). Help goes to stdout; every error
 * goes to stderr with a non-zero exit: a usage error as one line and a hint (2), a failure to run
 * as one line (1).
 *
 * What the operator fixes from one line of text (configuration, the data directory held by a
 * running server, Redis out of reach) is printed as `hass-auth: <message>` without a stack trace;
 * anything unexpected also prints its stack.
 */
import { ConfigError } from '../config.js';
import { systemClock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import { HA_VERSION } from '../domain/version.js';
import { createHomeAssistantProvider } from '../services/providers/password-store.js';
import { refreshTokenService } from '../services/tokens/refresh-tokens.js';
import { SealingKeyError } from '../stores/sealing/secrets-keys.js';
import { DataDirLockedError } from '../stores/sqlite/sqlite-store.js';
import { StoreUnavailableError } from '../stores/types.js';
import { auditCommands } from './audit-commands.js';
import { banCommands } from './ban-commands.js';
import { loadCliConfig } from './cli-config.js';
import { CommandFailedError, isOptionalArg, type CliCommand, type CliContext } from './command.js';
import { importHaCommand } from './import-ha-command.js';
import { openConfiguredStore } from '../open-store.js';
import { setOwnerCommand } from './owner-command.js';
import { sealSecretsCommand } from './secrets-command.js';
import { tokenCommands } from './token-commands.js';
import { familyUsageText, usageText } from './usage.js';
import { userCommands } from './user-commands.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const COMMANDS: CliCommand[] = [...userCommands, setOwnerCommand, ...tokenCommands, ...banCommands, ...auditCommands, importHaCommand, sealSecretsCommand];

/** `out` and `err` write one line each (the newline is theirs to add). */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * What the words ask for: a command to run, a help text (stdout, exit 0), or a usage error (one
 * line and a hint on stderr, exit 2).
 */
type Parsed =
  | { kind: 'run'; command: CliCommand; args: string[] }
  | { kind: 'help'; text: string }
  | { kind: 'usage_error'; problem: string; hint: string };

const isHelp = (word: string | undefined) => word === '--help' || word === '-h';

const hintFor = (family: string | null) => (family === null ? "Run 'hass-auth --help' for the commands." : `Run 'hass-auth ${family} --help' for its commands.`);

/** Arguments after the command's words are taken as they are: a password may start with `-`. */
function parse(argv: string[]): Parsed {
  const [family, name] = argv;
  if (family === undefined || isHelp(family)) return { kind: 'help', text: usageText(COMMANDS) };
  const members = COMMANDS.filter(({ words }) => words[0] === family);
  if (members.length === 0) return { kind: 'usage_error', problem: `unknown command: ${family}`, hint: hintFor(null) };
  const single = members.length === 1 && members[0]?.words.length === 1;
  // `hass-auth user` and `hass-auth user --help` list the family's commands.
  if (isHelp(name) || (name === undefined && !single)) return { kind: 'help', text: familyUsageText(family, members) };
  const command = members.find(({ words }) => words.every((word, index) => argv[index] === word));
  if (command === undefined) return { kind: 'usage_error', problem: `unknown command: ${family} ${name ?? ''}`, hint: hintFor(family) };
  const args = argv.slice(command.words.length);
  const required = command.args.filter((arg) => !isOptionalArg(arg)).length;
  if (args.length < required || args.length > command.args.length) {
    const expected = command.args.length === 0 ? 'no arguments' : command.args.join(' ');
    return { kind: 'usage_error', problem: `${command.words.join(' ')} takes ${expected}`, hint: hintFor(family) };
  }
  const problem = command.checkArgs?.(args) ?? null;
  if (problem !== null) return { kind: 'usage_error', problem, hint: hintFor(family) };
  return { kind: 'run', command, args };
}

/** The one line an operator acts on, or null when the error is unexpected (a bug: print its stack). */
function operatorMessage(error: unknown): string | null {
  if (error instanceof DataDirLockedError) {
    return `${error.message}; stop the server that uses it, then run this command again`;
  }
  if (error instanceof ConfigError || error instanceof StoreUnavailableError || error instanceof SealingKeyError) return error.message;
  if (error instanceof CommandFailedError) return error.lines.join('\nhass-auth: ');
  return null;
}

function reportFailure(io: CliIo, error: unknown, opening: boolean): number {
  const message = operatorMessage(error);
  io.err(`hass-auth: ${message ?? (error instanceof Error ? error.message : String(error))}`);
  // Failing to open the store is always the environment (a bad URL, an unwritable DATA_DIR).
  if (message === null && !opening && error instanceof Error && error.stack !== undefined) io.err(error.stack);
  return EXIT_FAILURE;
}

/** Warnings of the store and services (an unreadable record, a lost connection), on stderr. */
function stderrLogger(io: CliIo): Logger {
  const line = (level: string) => (details: object, message: string) => io.err(`hass-auth: ${level}: ${message} ${JSON.stringify(details)}`);
  return { info: () => undefined, warn: line('warning'), error: line('error') };
}

/** The store the server uses and the services over it; throws what reportFailure explains. */
async function openContext(io: CliIo, logger: Logger): Promise<CliContext> {
  const { config, bcryptRounds } = loadCliConfig(io.env);
  const store = await openConfiguredStore(config, logger);
  return {
    store,
    provider: createHomeAssistantProvider(store.users, bcryptRounds === undefined ? {} : { rounds: bcryptRounds }),
    refreshTokens: refreshTokenService(store, systemClock, logger, HA_VERSION),
    out: io.out,
  };
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const parsed = parse(argv);
  if (parsed.kind === 'help') {
    io.out(parsed.text.trimEnd());
    return EXIT_OK;
  }
  if (parsed.kind === 'usage_error') {
    io.err(`hass-auth: ${parsed.problem}`);
    io.err(parsed.hint);
    return EXIT_USAGE;
  }
  let context: CliContext;
  try {
    context = await openContext(io, stderrLogger(io));
  } catch (error) {
    return reportFailure(io, error, true);
  }
  try {
    await parsed.command.run(context, parsed.args);
    return EXIT_OK;
  } catch (error) {
    return reportFailure(io, error, false);
  } finally {
    await context.store.close();
  }
}
