/**
 * Debian's nginx (/usr/sbin/nginx, which .ci/run installs when missing) in the foreground on
 * loopback, running a configuration of nginx's `http` context: what a conf.d/*.conf file holds, such
 * as docker-compose.yml's `nginx` config. It is wrapped in the least a main file needs (`events {}`,
 * `http {}`), with every path nginx writes (pid, error log, temp files) under a directory of the
 * test's, so that nothing of the system's nginx (/etc/nginx, /var/log/nginx, port 80) is touched.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../stores/redis-harness.js';
import { collectOutput, stopChild, untilReady } from '../support/child-process.js';
import type { Balancer } from './balancer.js';

export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const READY_TIMEOUT_MS = 15_000;

function mainFile(dir: string, httpContext: string): string {
  return [
    'daemon off;',
    // One worker: its round robin then alternates strictly between the upstream's servers.
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    'events {}',
    'http {',
    '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
    httpContext,
    '}',
    '',
  ].join('\n');
}

/** Whether nginx answers at all (what the upstream answers is the test's business). */
async function answers(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** nginx on a free loopback port; `httpContext(port)` is the configuration, listening on that port. */
export async function startNginx(httpContext: (port: number) => string): Promise<Balancer> {
  if (!existsSync(NGINX)) {
    throw new Error(`${NGINX} is missing: the compose test needs Debian's nginx (apt-get install nginx; .ci/run installs it)`);
  }
  const port = await freePort();
  const configuration = httpContext(port);
  const dir = await mkdtemp(join(tmpdir(), 'hass-auth-nginx-'));
  // Run as root, nginx's worker is `nobody`: it must reach its temp paths in here.
  await chmod(dir, 0o755);
  const configPath = join(dir, 'nginx.conf');
  await writeFile(configPath, mainFile(dir, configuration));
  // -e: the error log from the start, before the configuration is read (else /var/log/nginx).
  const child = spawn(NGINX, ['-p', `${dir}/`, '-c', configPath, '-e', 'stderr'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  const close = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const outcome = await untilReady(child, () => answers(baseUrl), READY_TIMEOUT_MS);
  if (outcome !== 'ready') {
    await close();
    throw new Error(`nginx ${outcome === 'exited' ? 'exited' : `not answering after ${READY_TIMEOUT_MS} ms`}:\n${output()}`);
  }
  return { baseUrl, output, close };
}
