/**
 * `npm run machines:docs`: writes docs/machines/<machine>.md, a Mermaid diagram of each machine of
 * machines/index.ts (src/observability/machine-mermaid.ts), and removes pages of machines that are
 * gone. test/observability/machine-docs.test.ts fails while a committed page differs from this output.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machines } from '../machines/index.js';
import { machineDocuments } from '../src/observability/machine-mermaid.js';

const MACHINE_DOCS_DIR = fileURLToPath(new URL('../docs/machines/', import.meta.url));

const documents = machineDocuments(machines);
await mkdir(MACHINE_DOCS_DIR, { recursive: true });
const current = new Set(documents.map((document) => document.fileName));
for (const fileName of await readdir(MACHINE_DOCS_DIR)) {
  if (fileName.endsWith('.md') && !current.has(fileName)) await rm(join(MACHINE_DOCS_DIR, fileName));
}
for (const { fileName, content } of documents) {
  await writeFile(join(MACHINE_DOCS_DIR, fileName), content);
  console.log(`docs/machines/${fileName}`);
}
