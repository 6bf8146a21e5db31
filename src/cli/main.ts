/**
 * Entry point of the `hass-auth` admin command line (src/cli/hass-auth.js runs it through tsx;
 * `npm run cli -- …` too). The process ends by itself once the store is closed, so that
 * everything written to stdout reaches a pipe before it exits.
 */
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
