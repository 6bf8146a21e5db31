#!/usr/bin/env node
// `hass-auth`, the admin command line (main.ts beside this file). The sources are TypeScript run by tsx,
// a runtime dependency: its ESM API loads the entry point without a build step, wherever this is
// called from (the project's tsconfig is named so that the working directory does not matter).
import { URL, fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
await tsImport('./main.ts', { parentURL: import.meta.url, tsconfig });
