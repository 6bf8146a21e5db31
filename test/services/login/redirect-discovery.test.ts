/**
 * Redirect-URI discovery against a local test page (ha-auth-spec §4.2): link tags found, redirects
 * followed, only the first 10 KiB read, a bounded wait; and the guard that keeps the fetch off
 * loopback and private addresses unless allowed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redirectDiscovery } from '../../../src/services/login/redirect-discovery.js';

const LINKS = '<html><head><link rel="redirect_uri" href="/cb"><link rel="redirect_uri" href="myapp://auth"></head></html>';

let server: Server;
let base: string;
const warnings: string[] = [];
const logger = { info: () => undefined, warn: (_: object, message: string) => warnings.push(message), error: () => undefined };

beforeAll(async () => {
  server = createServer((request, response) => {
    switch (request.url) {
      case '/app/':
        return response.end(LINKS);
      case '/moved':
        return response.writeHead(302, { location: '/app/' }).end();
      case '/big':
        return response.end(`${' '.repeat(11_000)}${LINKS}`);
      case '/slow':
        return; // never answers
      default:
        return response.writeHead(404).end('<link rel="redirect_uri" href="/from-404">');
    }
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('redirect-URI discovery', () => {
  const open = redirectDiscovery({ allowPrivateAddresses: true, timeoutMs: 300 }, logger);

  it('finds the link tags of the client_id page, resolved against it', async () => {
    expect(await open(`${base}/app/`)).toEqual([`${base}/cb`, 'myapp://auth']);
  });

  it('follows redirects, and reads a page whatever its status, as Home Assistant does', async () => {
    expect(await open(`${base}/moved`)).toEqual([`${base}/cb`, 'myapp://auth']);
    expect(await open(`${base}/missing`)).toEqual([`${base}/from-404`]);
  });

  it('reads no more than 10 KiB, and gives up after the timeout, finding nothing', async () => {
    expect(await open(`${base}/big`)).toEqual([]);
    const started = performance.now();
    expect(await open(`${base}/slow`)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses loopback and private addresses by default, by address or by name', async () => {
    warnings.length = 0;
    const guarded = redirectDiscovery({ allowPrivateAddresses: false, timeoutMs: 300 }, logger);
    expect(await guarded(`${base}/app/`)).toEqual([]);
    const rebinding = redirectDiscovery(
      {
        allowPrivateAddresses: false,
        timeoutMs: 300,
        lookup: (_host, _options, callback) => (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]),
      },
      logger,
    );
    const port = (server.address() as AddressInfo).port;
    expect(await rebinding(`http://public.example:${port}/app/`)).toEqual([]);
    expect(warnings).toEqual(['redirect_uri discovery failed', 'redirect_uri discovery failed']);
  });
});
