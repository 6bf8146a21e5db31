/** `hass-auth import-ha` on the embedded store, and its usage errors (which no store sees). */
import { describe, it } from 'vitest';
import { COMMANDS } from '../../src/cli/run-cli.js';
import { usageText } from '../../src/cli/usage.js';
import { hassAuth, sqliteCliStore } from './cli-process.js';
import { describeImportHaOn } from './import-ha-scenarios.js';

describeImportHaOn(sqliteCliStore);

describe.concurrent('hass-auth import-ha usage', { timeout: 60_000 }, () => {
  const usage = usageText(COMMANDS);

  it('is listed in the usage text with its options', ({ expect }) => {
    expect(usage).toContain('import-ha CONFIG_DIR [--dry-run] [--on-conflict=keep|replace]');
  });

  it.for([
    { args: ['import-ha', 'config', '--frobnicate'], problem: 'import-ha: unknown option --frobnicate' },
    { args: ['import-ha', '--dry-run', '--on-conflict=keep'], problem: 'import-ha takes one CONFIG_DIR' },
    { args: ['import-ha', 'one', 'two'], problem: 'import-ha takes one CONFIG_DIR' },
  ])('answers $args with the problem, a hint and exit code 2', async ({ args, problem }, { expect }) => {
    expect(await hassAuth(args, {})).toEqual({ code: 2, stdout: '', stderr: `hass-auth: ${problem}\nRun 'hass-auth import-ha --help' for its commands.\n` });
  });
});
