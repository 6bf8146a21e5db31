/**
 * Pieces of the failed-login and IP-ban suites (ha-auth-spec §11): servers behind a trusted proxy
 * whose configuration file sets `http:`, requests from any client address (X-Forwarded-For), and the
 * store's count of an address' failures.
 */
import { expect, vi } from 'vitest';
import { parseAuthConfig, type AuthConfig } from '../../src/auth-config.js';
import { banKey } from '../../src/services/bans/login-attempts.js';
import { startTestServer, type StoreKind, type TestServer } from '../support/test-server.js';
import { START } from './http-helpers.js';

/** The configuration file's `http:` section. */
export function httpConfig(loginAttemptsThreshold: number, ipBanEnabled = true): AuthConfig {
  return parseAuthConfig(`http: {ip_ban_enabled: ${ipBanEnabled}, login_attempts_threshold: ${loginAttemptsThreshold}}`, 'test');
}

/** A server behind a trusted proxy on 127.0.0.1, with this configuration. */
export function startBanServer(kind: StoreKind, authConfig: AuthConfig): Promise<TestServer> {
  return startTestServer(kind, START, { trustProxy: ['127.0.0.1'], authConfig });
}

let lastOctet = 0;
/** A client address no other test of the file uses (TEST-NET-3, then 198.51.100.0/24). */
export function aClientIp(): string {
  lastOctet += 1;
  return lastOctet < 255 ? `203.0.113.${lastOctet}` : `198.51.100.${lastOctet - 254}`;
}

/** The failures the store counts for `ip` now. */
export function failuresOf(server: TestServer, ip: string): Promise<number> {
  return server.store.loginAttempts.failureCount(banKey(ip));
}

/**
 * Polls until the assertion holds: a ban or lift written to the store by someone else than the
 * server's own service (the test, another instance, the CLI) reaches the server's copy of the ban
 * list by Redis pub/sub, a moment after the write.
 */
export function soon(assertion: () => Promise<void>): Promise<void> {
  return vi.waitFor(assertion, { timeout: 2_000, interval: 5 });
}

/** aiohttp's `HTTPForbidden`, what the ban middleware raises. */
export async function expectForbidden(response: Response): Promise<void> {
  expect({ status: response.status, type: response.headers.get('content-type'), text: await response.text() }).toEqual({
    status: 403,
    type: 'text/plain; charset=utf-8',
    text: '403: Forbidden',
  });
}
