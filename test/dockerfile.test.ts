/**
 * The image docker-compose.yml builds, checked as data since no Docker engine runs in CI: a build
 * stage with the compilers, a runtime stage on a maintained Node LTS that runs `node` itself (the
 * signal reaches src/main.ts's handlers) as an unprivileged user with a health check and a writable
 * DATA_DIR, and a build context that holds every file the service needs at run time and none of the
 * local state (node_modules, the embedded store's data).
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { argsOf, copyOf, execForm, parseDockerfile, type Stage } from './support/dockerfile.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1) as Stage;
const build = stages[0] as Stage;
const ignored = read('.dockerignore').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
const packageJson = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; scripts: Record<string, string> };

/** Every file of the repository that src/main.ts reaches through imports, and every package it imports. */
function runtimeImports(): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [resolve(root, 'src/main.ts')];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) {
        packages.add(fileName.startsWith('@') ? fileName.split('/').slice(0, 2).join('/') : (fileName.split('/')[0] ?? fileName));
        continue;
      }
      // ESM imports name the compiled file (`./x.js`); the source is `./x.ts` unless a .js file is there.
      const target = resolve(dirname(file), fileName);
      queue.push(existsSync(target) ? target : target.replace(/\.js$/, '.ts'));
    }
  }
  return { files: [...files].map((file) => relative(root, file)), packages: [...packages] };
}

/** The WORKDIR a stage's later instructions run in. */
const workdir = (stage: Stage) => argsOf(stage, 'WORKDIR').at(-1) ?? '/';

describe('Dockerfile', () => {
  it('builds the production dependencies in a stage of their own, with the compilers better-sqlite3 may need', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const run = argsOf(build, 'RUN').join('\n');
    for (const tool of ['python3', 'make', 'g++']) expect(run).toContain(tool);
    expect(run).toMatch(/npm ci --omit=dev/);
    expect(argsOf(build, 'COPY').map(copyOf)).toContainEqual(expect.objectContaining({ sources: ['package.json', 'package-lock.json'] }));
    // The runtime takes the built node_modules, not the compilers.
    const fromBuild = argsOf(runtime, 'COPY').map(copyOf).filter(({ flags }) => flags.from === build.name);
    expect(fromBuild).toEqual([{ flags: { from: build.name }, sources: [`${workdir(build)}/node_modules`], destination: './node_modules' }]);
    expect(argsOf(runtime, 'RUN').join('\n')).not.toMatch(/g\+\+|apt-get/);
  });

  it('runs on a maintained Node LTS, the same base as the stage that built the native bindings', () => {
    expect(runtime.base).toBe(build.base);
    const major = Number(/^node:(\d+)-/.exec(runtime.base)?.[1]);
    // Even majors become LTS; Node 20's life ended in April 2026.
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(read('README.md').includes(`Node ${major}`), `the README names Node ${major}`).toBe(true);
  });

  it('runs node itself as PID 1, the command npm start runs, so that docker stop reaches the shutdown handlers', () => {
    expect(argsOf(runtime, 'ENTRYPOINT')).toEqual([]);
    const [cmd] = argsOf(runtime, 'CMD').map(execForm);
    expect(cmd).toEqual(['node', '--import', 'tsx', 'src/main.ts']);
    expect(packageJson.scripts.start).toBe(`exec ${cmd?.join(' ')}`);
    const stopSignal = argsOf(runtime, 'STOPSIGNAL');
    expect(stopSignal.every((signal) => signal === 'SIGTERM' || signal === 'SIGINT')).toBe(true);
  });

  it('runs as an unprivileged user, who owns DATA_DIR and nothing else it was given', () => {
    const [user] = argsOf(runtime, 'USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const env = Object.fromEntries(argsOf(runtime, 'ENV').flatMap((args) => args.split(/\s+/).map((pair) => pair.split('=') as [string, string])));
    const dataDir = posix.resolve(workdir(runtime), loadConfig(env).dataDir);
    expect(argsOf(runtime, 'RUN')).toContain(`install -d -o ${user} -g ${user} ${dataDir}`);
    // Code copied without --chown stays root's: the service cannot rewrite itself.
    expect(argsOf(runtime, 'COPY').filter((args) => args.includes('--chown'))).toEqual([]);
  });

  it('checks its health with GET /health on the port the service listens on', () => {
    const [healthcheck] = argsOf(runtime, 'HEALTHCHECK');
    const command = execForm((healthcheck ?? '').replace(/^.*?\bCMD\s+/, ''));
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain("'http://127.0.0.1:' + (process.env.PORT || " + String(loadConfig({}).port) + ") + '/health'");
    expect(command[2]).toContain('process.exit(r.ok ? 0 : 1)');
  });

  it('copies every file the service imports at run time, and only runtime dependencies', () => {
    const sources = argsOf(runtime, 'COPY').map(copyOf).filter(({ flags }) => flags.from === undefined).flatMap(({ sources }) => sources);
    for (const source of sources) expect(existsSync(resolve(root, source)), source).toBe(true);
    // ESM ("type": "module") and tsx's compiler options come from these two.
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'tsconfig.json']));
    const { files, packages } = runtimeImports();
    const uncopied = files.filter((file) => !sources.some((source) => file === source || file.startsWith(`${source}/`)));
    expect(uncopied).toEqual([]);
    const builtins = new Set(builtinModules);
    const unavailable = packages.filter((name) => !name.startsWith('node:') && !builtins.has(name) && packageJson.dependencies[name] === undefined);
    expect(unavailable, 'imported at run time but not a runtime dependency (npm ci --omit=dev leaves it out)').toEqual([]);
  });
});

describe('.dockerignore', () => {
  it('keeps local state out of the build context: node_modules, the embedded store, git', () => {
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'data', '.git']));
  });

  it('lets through everything the image copies', () => {
    const sources = [...stages.flatMap((stage) => argsOf(stage, 'COPY').map(copyOf).filter(({ flags }) => flags.from === undefined))].flatMap(({ sources }) => sources);
    expect(sources.filter((source) => ignored.some((pattern) => pattern === source || pattern === source.split('/')[0]))).toEqual([]);
  });
});
