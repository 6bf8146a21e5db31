/**
 * What every `hass-auth` command gets and declares. A command prints its result lines through
 * `out`; failures to run (store down, bad data) are thrown and reported once by run-cli.ts.
 */
import type { HomeAssistantProvider } from '../services/homeassistant-provider.js';
import type { RefreshTokenService } from '../services/refresh-tokens.js';
import type { Store } from '../stores/types.js';

export interface CliContext {
  store: Store;
  provider: HomeAssistantProvider;
  refreshTokens: RefreshTokenService;
  /** Writes one line to stdout. */
  out: (line: string) => void;
}

export interface CliCommand {
  /** The words that name it: `['user', 'add']`. */
  words: [family: string, name: string];
  /** Its arguments as the usage text shows them; `[NAME]` is optional. */
  args: string[];
  summary: string;
  run(context: CliContext, args: string[]): Promise<void>;
}

export function isOptionalArg(arg: string): boolean {
  return arg.startsWith('[');
}
