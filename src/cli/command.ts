/**
 * What every `hass-auth` command gets and declares. A command prints its result lines through
 * `out`; failures to run (store down, bad data) are thrown and reported once by run-cli.ts.
 */
import type { HomeAssistantProvider } from '../services/providers/password-store.js';
import type { RefreshTokenService } from '../services/tokens/refresh-tokens.js';
import type { Store } from '../stores/types.js';

export interface CliContext {
  store: Store;
  provider: HomeAssistantProvider;
  refreshTokens: RefreshTokenService;
  /** Writes one line to stdout. */
  out: (line: string) => void;
}

export interface CliCommand {
  /** The words that name it: `['user', 'add']`, or one word: `['import-ha']`. */
  words: [family: string, name: string] | [name: string];
  /** Its arguments as the usage text shows them; `[NAME]` is optional. */
  args: string[];
  summary: string;
  /** A usage problem with its arguments (an unknown option), in words, or null; checked before the store opens. */
  checkArgs?(args: string[]): string | null;
  run(context: CliContext, args: string[]): Promise<void>;
}

/**
 * A command that could not do its work for a reason the operator reads and fixes (bad input, a
 * conflict): run-cli.ts prints each line as `hass-auth: <line>`, without a stack, and exits 1.
 */
export class CommandFailedError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'CommandFailedError';
  }
}

export function isOptionalArg(arg: string): boolean {
  return arg.startsWith('[');
}
