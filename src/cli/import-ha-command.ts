/**
 * `hass-auth import-ha CONFIG_DIR [--dry-run] [--on-conflict=keep|replace]`: moves Home Assistant's
 * users, credentials, password hashes, refresh tokens and TOTP secrets, and whether it was onboarded,
 * into the store the environment selects (services/import/). It reads and checks every file, plans against the store, prints the
 * plan, then writes, unless:
 *
 * - a file is missing, of an unknown storage version, not JSON, or holds something Home Assistant
 *   would not (a non-normalized username, …): every problem is printed, naming file and field, and
 *   nothing is written (exit 1);
 * - the store holds something else under an imported id or login and no `--on-conflict` says what
 *   to do: the plan shows each conflict, and nothing is written (exit 1);
 * - `--dry-run`: the plan is all it does (exit 1 when the import would stop on conflicts).
 *
 * Running it again with the same files writes nothing: every record is found present.
 */
import { systemClock } from '../domain/clock.js';
import { readHomeAssistantConfig } from '../services/import/read-config.js';
import { applyPlan, conflictsOf, ImportRaceError, type ImportPlan, type Resolution } from '../services/import/import-plan.js';
import { planImport } from '../services/import/import-ha.js';
import { CommandFailedError, type CliCommand } from './command.js';
import { conflictSummary, problemLine, recordsToWrite, reportLines, RESOLVE_HINT } from './import-ha-report.js';

const DRY_RUN = '--dry-run';
const RESOLUTIONS: Record<string, Resolution> = { '--on-conflict=keep': 'keep', '--on-conflict=replace': 'replace' };

interface ImportOptions {
  configDir: string;
  dryRun: boolean;
  resolution: Resolution;
}

/** The options in any order around the one directory; a usage problem in words otherwise. */
function importOptions(args: string[]): ImportOptions | string {
  const options: ImportOptions = { configDir: '', dryRun: false, resolution: 'stop' };
  const dirs: string[] = [];
  for (const arg of args) {
    if (arg === DRY_RUN) options.dryRun = true;
    else if (arg in RESOLUTIONS) options.resolution = RESOLUTIONS[arg] ?? 'stop';
    else if (arg.startsWith('--')) return `import-ha: unknown option ${arg}`;
    else dirs.push(arg);
  }
  if (dirs.length !== 1) return 'import-ha takes one CONFIG_DIR';
  options.configDir = dirs[0] ?? '';
  return options;
}

function closingLine(plan: ImportPlan, dryRun: boolean): string {
  const writes = recordsToWrite(plan);
  const kept = plan.resolution === 'keep' ? conflictsOf(plan).length : 0;
  const keptNote = kept === 0 ? '' : `; ${kept} conflict${kept === 1 ? '' : 's'} left as the store has ${kept === 1 ? 'it' : 'them'}`;
  if (dryRun) return `Dry run: nothing was written; the import would write ${writes} record${writes === 1 ? '' : 's'}${keptNote}.`;
  if (writes === 0) return `Nothing to import: everything is present already${keptNote}.`;
  return `Imported: ${writes} record${writes === 1 ? '' : 's'} written${keptNote}.`;
}

export const importHaCommand: CliCommand = {
  words: ['import-ha'],
  args: ['CONFIG_DIR', `[${DRY_RUN}]`, '[--on-conflict=keep|replace]'],
  summary: "import Home Assistant's users, logins, tokens and TOTP secrets",
  checkArgs: (args) => {
    const options = importOptions(args);
    return typeof options === 'string' ? options : null;
  },
  async run({ store, out }, args) {
    const options = importOptions(args);
    if (typeof options === 'string') throw new CommandFailedError([options]);
    const { configDir, dryRun, resolution } = options;
    const read = readHomeAssistantConfig(configDir);
    if (!read.ok) {
      const count = read.problems.length;
      const summary = `import-ha: ${count} problem${count === 1 ? '' : 's'} in Home Assistant's files; nothing was written`;
      throw new CommandFailedError([...read.problems.map((problem) => problemLine(configDir, problem)), summary]);
    }
    const plan = await planImport(store, read.data, { resolution, now: systemClock() });
    for (const line of reportLines(configDir, read.data, plan)) out(line);
    if (conflictsOf(plan).length > 0 && resolution === 'stop') {
      if (dryRun) out('Dry run: nothing was written.');
      const stopped = dryRun ? 'the import would stop there' : 'nothing was written';
      throw new CommandFailedError([`import-ha: ${conflictSummary(plan)}; ${stopped}; ${RESOLVE_HINT}`]);
    }
    if (!dryRun) {
      try {
        await applyPlan(plan);
      } catch (error) {
        if (error instanceof ImportRaceError) throw new CommandFailedError([`import-ha: ${error.message}`]);
        throw error;
      }
    }
    out(closingLine(plan, dryRun));
  },
};
