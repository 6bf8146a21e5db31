/**
 * What an operator reads at `info` (issue 16): logins and revocations, not one line per request;
 * at `debug`, each request again.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { onboardOwner, postForm } from '../support/http-client.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server logging at `level`, an owner onboarded, a refresh, an API call and a revocation; the lines it wrote. */
async function traffic(level: string): Promise<LogLine[]> {
  const lines: string[] = [];
  server = await startTestServer('sqlite', undefined, { logger: pino({ level }, { write: (line: string) => lines.push(line) }) });
  const tokens = await onboardOwner(server);
  expect((await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: tokens.refresh_token })).status).toBe(200);
  expect((await fetch(`${server.baseUrl}/api/`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
  expect((await postForm(server, '/auth/revoke', { token: tokens.refresh_token })).status).toBe(200);
  return lines.map((line) => JSON.parse(line) as LogLine);
}

const perRequest = (lines: LogLine[]) => lines.filter(({ msg }) => msg === 'incoming request' || msg === 'request completed');

describe('logs an operator reads', () => {
  it('at info: no line per request', async () => {
    const lines = await traffic('info');
    expect(perRequest(lines)).toEqual([]);
  });

  it('at debug: each request as it arrives and as it is answered', async () => {
    const lines = await traffic('debug');
    const completed = perRequest(lines).filter(({ msg }) => msg === 'request completed');
    // onboarding, its code exchange, the refresh, the API call, the revocation.
    expect(completed).toHaveLength(5);
    expect(perRequest(lines).filter(({ msg }) => msg === 'incoming request')).toHaveLength(5);
  });
});
