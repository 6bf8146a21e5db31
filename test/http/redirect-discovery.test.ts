/**
 * A login whose redirect_uri is on another origin than its client_id (ha-auth-spec §4.2): allowed
 * when the client_id page lists it, refused otherwise, and refused by default when the client_id
 * page is on a private address (the discovery guard), unless the configuration allows it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthConfig } from '../../src/auth-config.js';
import { startTestServer } from '../support/test-server.js';
import { logIn, onboardOwner } from '../support/http-client.js';

const LISTED = 'https://elsewhere.example/callback';

let page: Server;
let clientId: string;
beforeAll(async () => {
  page = createServer((_request, response) => response.end(`<link rel="redirect_uri" href="${LISTED}">`));
  page.listen(0, '127.0.0.1');
  await new Promise((resolve) => page.once('listening', resolve));
  clientId = `http://127.0.0.1:${(page.address() as AddressInfo).port}/app/`;
});
afterAll(async () => {
  await new Promise((resolve) => page.close(resolve));
});

describe('redirect_uri discovery in the login flow', () => {
  it('finishes a login to a redirect_uri the client_id page lists, and only to that one', async () => {
    const authConfig = parseAuthConfig('redirect_uri_discovery: {allow_private_addresses: true}', 'test');
    const server = await startTestServer('sqlite', undefined, { authConfig });
    try {
      await onboardOwner(server);
      expect(await logIn(server, 'alice', 'secret-password', clientId, LISTED)).toEqual(expect.objectContaining({ type: 'create_entry' }));
      const unlisted = await logIn(server, 'alice', 'secret-password', clientId, 'https://elsewhere.example/other');
      expect(unlisted).toEqual({ message: 'Invalid redirect URI' });
    } finally {
      await server.close();
    }
  });

  it('does not fetch a client_id page on a private address unless allowed', async () => {
    const server = await startTestServer('sqlite');
    try {
      await onboardOwner(server);
      expect(await logIn(server, 'alice', 'secret-password', clientId, LISTED)).toEqual({ message: 'Invalid redirect URI' });
    } finally {
      await server.close();
    }
  });
});
