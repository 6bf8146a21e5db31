/**
 * What `hass-auth import-ha` prints: the files it read, one line per record (what happens to it), the
 * notes, counts per kind, and the closing line. Secrets never appear: records are named by ids,
 * names and logins.
 */
import { join } from 'node:path';
import type { HomeAssistantData } from '../services/import/ha-records.js';
import { conflictsOf, countSteps, type ImportPlan, type ImportStep, type StepKind } from '../services/import/import-plan.js';
import type { InputProblem } from '../services/import/input-problems.js';

const KINDS: Array<[StepKind, string]> = [
  ['onboarding', 'onboarding'],
  ['owner', 'owner'],
  ['user', 'users'],
  ['totp secret', 'TOTP secrets'],
  ['credential', 'credentials'],
  ['password', 'passwords'],
  ['refresh token', 'refresh tokens'],
];

/** `<dir>/.storage/auth: data.users[2].is_owner: expected true or false, found "yes"`. */
export function problemLine(configDir: string, { file, field, message }: InputProblem): string {
  return `${join(configDir, file)}: ${field === null ? '' : `${field}: `}${message}`;
}

/** Where a record's label starts: after the indent, the status and the kind. */
const LABEL_COLUMN = 2 + 10 + 14;

function stepLines(plan: ImportPlan, step: ImportStep): string[] {
  const head = `  ${step.status.padEnd(9)} ${step.kind.padEnd(14)}${step.label}`;
  if (step.status !== 'conflict') return [head];
  const outcome = { stop: '', keep: "; the store's stays", replace: "; Home Assistant's replaces it" }[plan.resolution];
  return [head, `${' '.repeat(LABEL_COLUMN)}${step.conflict ?? ''}${outcome}`];
}

function countLines(plan: ImportPlan): string[] {
  // The onboarding and owner rows only when the plan has such a step.
  const optional = new Set<StepKind>(['onboarding', 'owner']);
  const rows = KINDS.filter(([kind]) => !optional.has(kind) || plan.steps.some((step) => step.kind === kind)).map(([kind, name]) => {
    const { new: fresh, present, conflict } = countSteps(plan, kind);
    return `  ${name.padEnd(16)}${String(fresh).padStart(5)}${String(present).padStart(9)}${String(conflict).padStart(11)}`;
  });
  return [`  ${''.padEnd(16)}${'new'.padStart(5)}${'present'.padStart(9)}${'conflicts'.padStart(11)}`, ...rows];
}

/** Everything but the closing line, which depends on what the apply did. */
export function reportLines(configDir: string, data: HomeAssistantData, plan: ImportPlan): string[] {
  const width = Math.max(...data.files.map((file) => file.file.length)) + 2;
  const files = data.files.map(({ file, version, contents }) => `  ${file.padEnd(width)}${version === null ? '' : `version ${version}  `}${contents}`);
  const notes = data.notes.length === 0 ? [] : ['', 'Notes:', ...data.notes.map((note) => `  ${problemLine('', note)}`)];
  const records = plan.steps.length === 0 ? ['  (no records)'] : plan.steps.flatMap((step) => stepLines(plan, step));
  return [
    `Home Assistant's configuration in ${configDir}:`,
    ...files,
    '',
    `Records, against the ${plan.storeKind} store:`,
    ...records,
    ...notes,
    '',
    ...countLines(plan),
    '',
  ];
}

/** How many records the plan writes: new ones, and conflicts it replaces. */
export const recordsToWrite = (plan: ImportPlan) => plan.steps.filter((step) => step.run !== null).length;

export const RESOLVE_HINT =
  "run again with --on-conflict=keep (the store's records stay, Home Assistant's conflicting ones are left out) " +
  "or --on-conflict=replace (Home Assistant's take their place)";

export function conflictSummary(plan: ImportPlan): string {
  const count = conflictsOf(plan).length;
  return `${count} conflict${count === 1 ? '' : 's'} with what the store holds`;
}
