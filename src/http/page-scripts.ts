/**
 * The pages' scripts: TypeScript in `pages/` (type-checked with DOM types by `tsc -p
 * src/http/pages`, part of `npm run typecheck`, and linted with the rest), bundled here with esbuild
 * into one self-contained script per page when the app starts, so that `npm start` needs no build
 * step. login-page.ts inlines each one and admits it by its hash in the page's CSP.
 *
 * The bundles are made once per process: every app built in it serves the same sources.
 */
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import { build } from 'esbuild';

const PAGES_DIR = fileURLToPath(new URL('./pages/', import.meta.url));

/** Chromium, Firefox and Safari of the last few years; nothing older can hash-match a CSP anyway. */
const TARGET = 'es2022';

const bundles = new Map<string, Promise<Map<string, string>>>();

async function bundle(names: readonly string[]): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: names.map((name) => `${PAGES_DIR}${name}.ts`),
    tsconfig: `${PAGES_DIR}tsconfig.json`,
    bundle: true,
    write: false,
    outdir: PAGES_DIR,
    format: 'iife',
    platform: 'browser',
    target: TARGET,
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const scripts = new Map(result.outputFiles.map((file) => [basename(file.path, '.js'), file.text]));
  for (const [name, script] of scripts) {
    // Inlined in a <script> element: its text must not end the element early.
    if (/<\/script/i.test(script)) throw new Error(`pages: the script of ${name} contains "</script"`);
  }
  return scripts;
}

/** The script of each page `pages/<name>.ts`, by name. */
export function pageScripts(names: readonly string[]): Promise<Map<string, string>> {
  const key = names.join('\n');
  let scripts = bundles.get(key);
  if (scripts === undefined) {
    scripts = bundle(names);
    bundles.set(key, scripts);
  }
  return scripts;
}
