/**
 * A Dockerfile read as data (no Docker engine runs in CI): its instructions, continuation lines
 * joined and comments dropped, grouped by build stage. Enough of the format for checking what our
 * own Dockerfile says; not a general parser (no heredocs, no escape directive).
 */
export interface Instruction {
  /** Upper case: FROM, RUN, COPY, … */
  keyword: string;
  /** The rest of the line, as written. */
  args: string;
}

export interface Stage {
  /** The image it starts from. */
  base: string;
  /** `AS name`, when given. */
  name: string | null;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text.split('\n').filter((line) => !/^\s*#/.test(line));
  const logical = lines.join('\n').replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = args.split(/\s+/);
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? (name ?? null) : null, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`Dockerfile: ${keyword} before any FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

/** The arguments of every `keyword` instruction of a stage. */
export function argsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map(({ args }) => args);
}

/** An exec-form (JSON array) argument list, as CMD, ENTRYPOINT and HEALTHCHECK … CMD take. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === 'string')) throw new Error(`not an exec-form list: ${args}`);
  return parsed;
}

/** `COPY [--flag=value …] source … destination`: its flags, sources and destination. */
export function copyOf(args: string): { flags: Record<string, string>; sources: string[]; destination: string } {
  const words = args.split(/\s+/);
  const flags = Object.fromEntries(
    words.filter((word) => word.startsWith('--')).map((word) => {
      const [flag = '', value = ''] = word.slice(2).split('=');
      return [flag, value];
    }),
  );
  const paths = words.filter((word) => !word.startsWith('--'));
  return { flags, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
}
