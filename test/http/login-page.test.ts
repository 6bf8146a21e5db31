/**
 * The login page (`GET /auth/authorize`) and the onboarding page (`GET /`) in a real browser, against
 * a real server: what a person sees and types, where the browser ends up (a login from `/` ends on
 * `/profile`), a login link that cannot end well explained before any password is typed, and what
 * the pages never do (run injected markup, break their own Content-Security-Policy, log an error).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Route } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserForFile, openPage, type WatchedPage } from '../support/browser.js';
import { parseAuthConfig } from '../../src/auth-config.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { onboardOwner, postForm, postJson } from '../support/http-client.js';

const HEX32 = /^[0-9a-f]{32}$/;
const INJECTION = '<img src=x onerror=window.pwned=1>';

const context = browserForFile();
let server: TestServer;
let watched: WatchedPage | undefined;

beforeEach(async () => {
  server = await startTestServer('sqlite');
});
afterEach(async () => {
  const problems = watched?.problems ?? [];
  await watched?.page.close();
  watched = undefined;
  await server.close();
  // Every page must work under its own CSP and without script errors.
  expect(problems).toEqual([]);
});

/** A page for this test, on this test's server. */
async function browse(): Promise<WatchedPage> {
  watched = await openPage(context(), server.baseUrl);
  return watched;
}

/** This server's own origin as client: same-origin redirect_uri passes verify_redirect_uri (§4.2). */
function ownClient() {
  return { clientId: `${server.baseUrl}/`, redirectUri: `${server.baseUrl}/?auth_callback=1` };
}

function authorizeUrl(query: Record<string, string>): string {
  return `${server.baseUrl}/auth/authorize?${new URLSearchParams(query).toString()}`;
}

/** Waits until the alert region says `text` (and nothing else). */
async function expectAlert(page: Page, text: string): Promise<void> {
  await page.getByRole('alert').filter({ hasText: text }).waitFor();
  expect(await page.getByRole('alert').textContent()).toBe(text);
}

async function logInWith(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

describe('GET / before onboarding', () => {
  it('creates the owner through the form, redeems the auth code, then says only that the account is ready', async () => {
    const { page, requests } = await browse();
    await page.goto(`${server.baseUrl}/`);
    await page.getByLabel('Name', { exact: true }).fill('Alice');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('correct horse');
    await page.getByLabel('Password again').fill('correct horse');
    const created = page.waitForRequest('**/api/onboarding/users');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Your owner account is ready' }).waitFor();

    expect((await created).postDataJSON()).toEqual({
      name: 'Alice', username: 'alice', password: 'correct horse', client_id: `${server.baseUrl}/`, language: 'en-US',
    });
    expect(requests.filter((request) => request.startsWith('POST'))).toEqual([
      'POST /api/onboarding/users', 'POST /auth/token', 'POST /auth/revoke',
    ]);
    const steps = (await (await fetch(`${server.baseUrl}/api/onboarding`)).json()) as Array<{ done: boolean }>;
    expect(steps.every((step) => step.done)).toBe(true);
    // What asked for an owner has gone with the form.
    expect(await page.getByText('Create the owner account').isVisible()).toBe(false);
    expect(await page.getByText('No user exists yet.').isVisible()).toBe(false);
    expect(await page.getByRole('heading').allInnerTexts()).toEqual(['Your owner account is ready']);
    expect(await page.locator(':focus').textContent()).toBe('Your owner account is ready');
    expect(await page.title()).toBe('Your owner account is ready');

    await page.getByRole('link', { name: 'Log in' }).click();
    await logInWith(page, 'alice', 'correct horse');
    await page.waitForURL((url) => url.pathname === '/profile' && url.search === '');
    await page.locator('#account-name').filter({ hasText: 'Alice' }).waitFor();
  });

  it('shows Home Assistant’s message for a username that is not normalized, and checks the second password', async () => {
    const { page, requests } = await browse();
    await page.goto(`${server.baseUrl}/`);
    await page.getByLabel('Name', { exact: true }).fill('Alice');
    await page.getByLabel('Username').fill('Alice');
    await page.getByLabel('Password', { exact: true }).fill('correct horse');
    await page.getByLabel('Password again').fill('correct horsE');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectAlert(page, 'The two passwords differ.');
    expect(requests).not.toContain('POST /api/onboarding/users');

    await page.getByLabel('Password again').fill('correct horse');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expectAlert(page, 
      'Username "Alice" is not normalized. Please make sure the username is lowercase and does not contain any whitespace.',
    );
    const steps = (await (await fetch(`${server.baseUrl}/api/onboarding`)).json()) as Array<{ done: boolean }>;
    expect(steps.some((step) => step.done)).toBe(false);
  });
});

describe('GET / after onboarding', () => {
  it('says the service runs; its "Log in" goes through the login page to the profile', async () => {
    await onboardOwner(server);
    const { page } = await browse();
    await page.goto(`${server.baseUrl}/`);
    expect(await page.getByLabel('Password again').count()).toBe(0);
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/auth/authorize');
    const authorize = new URL(page.url()).searchParams;
    expect(authorize.get('client_id')).toBe(`${server.baseUrl}/`);
    expect(authorize.get('redirect_uri')).toBe(`${server.baseUrl}/profile`);
    await logInWith(page, 'alice', 'secret-password');
    await page.waitForURL((url) => url.pathname === '/profile' && url.search === '');
    await page.getByRole('heading', { name: 'Your profile' }).waitFor();
    await page.locator('#account-name').filter({ hasText: 'Alice' }).waitFor();
  });
});

describe('GET /auth/authorize', () => {
  beforeEach(async () => {
    await onboardOwner(server, 'alice', 'secret-password');
  });

  it('says "Wrong username or password." for a wrong password, then lands on redirect_uri with code and state', async () => {
    const { page } = await browse();
    const { clientId, redirectUri } = ownClient();
    await page.goto(authorizeUrl({ client_id: clientId, redirect_uri: redirectUri, state: 'st4te/+=&x' }));
    await logInWith(page, 'alice', 'wrong-password');
    await expectAlert(page, 'Wrong username or password.');
    expect(await page.getByLabel('Username').inputValue()).toBe('alice');
    expect(await page.getByLabel('Password').inputValue()).toBe('');
    await page.screenshot({ path: join(tmpdir(), 'hass-auth-login-page.png') });

    await page.getByLabel('Password').fill('secret-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.searchParams.has('code'));

    const landed = new URL(page.url());
    expect(landed.origin + landed.pathname).toBe(`${server.baseUrl}/`);
    expect([...landed.searchParams.keys()]).toEqual(['auth_callback', 'code', 'state']);
    expect(landed.searchParams.get('auth_callback')).toBe('1');
    expect(landed.searchParams.get('state')).toBe('st4te/+=&x');
    const code = landed.searchParams.get('code') ?? '';
    expect(code).toMatch(HEX32);
    const tokens = await postForm(server, '/auth/token', { grant_type: 'authorization_code', client_id: clientId, code });
    expect(tokens.status).toBe(200);
    const issued = (await tokens.json()) as { token_type?: string; access_token?: string; refresh_token?: string };
    expect(issued.token_type).toBe('Bearer');
    expect(issued.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(issued.refresh_token).toMatch(/^[0-9a-f]{128}$/);
  });

  it('passes a PKCE challenge of the authorize URL on to the flow, so that the code needs its verifier', async () => {
    const { page } = await browse();
    const { clientId, redirectUri } = ownClient();
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    await page.goto(authorizeUrl({ client_id: clientId, redirect_uri: redirectUri, state: 's', code_challenge: challenge, code_challenge_method: 'S256' }));
    await logInWith(page, 'alice', 'secret-password');
    await page.waitForURL((url) => url.searchParams.has('code'));
    const code = new URL(page.url()).searchParams.get('code') ?? '';
    const grant = (fields: Record<string, string>) => postForm(server, '/auth/token', { grant_type: 'authorization_code', client_id: clientId, code, ...fields });
    expect((await grant({})).status).toBe(400);
    expect((await grant({ code_verifier: verifier })).status).toBe(200);
  });

  it('explains, with no password field, a redirect_uri that is not the client\'s; the flow API still answers 403 at its end', async () => {
    const { page, requests } = await browse();
    const clientId = ownClient().clientId;
    await page.goto(authorizeUrl({ client_id: clientId, redirect_uri: 'https://elsewhere.example/cb', state: 's' }));
    await expectAlert(page,
      'The address this login would send you back to (redirect_uri) does not belong to the application that asks you to log in (client_id), so this page does not ask for your password.');
    expect(await page.locator('#client-id').textContent()).toBe(clientId);
    expect(await page.locator('#redirect-uri').textContent()).toBe('https://elsewhere.example/cb');
    expect(await page.locator('input').count()).toBe(0);
    expect(requests).toEqual(['GET /auth/authorize']);

    // Home Assistant's order, unchanged: the flow runs, and its completion refuses.
    const started = (await (await postJson(server, '/auth/login_flow', {
      client_id: clientId, handler: ['homeassistant', null], redirect_uri: 'https://elsewhere.example/cb',
    })).json()) as { flow_id: string };
    const done = await postJson(server, `/auth/login_flow/${started.flow_id}`, { client_id: clientId, username: 'alice', password: 'secret-password' });
    expect({ status: done.status, body: await done.json() }).toEqual({ status: 403, body: { message: 'Invalid redirect URI' } });
  });

  it('explains a client_id that is not a client address', async () => {
    const { page } = await browse();
    await page.goto(authorizeUrl({ client_id: 'not a url', redirect_uri: ownClient().redirectUri }));
    await expectAlert(page, 'The application that sent you here did not give a valid address of its own (client_id).');
    expect(await page.locator('#client-id').textContent()).toBe('not a url');
    expect(await page.locator('input').count()).toBe(0);
  });

  it('asks for the password when the client_id page lists the redirect_uri (IndieAuth discovery), and not otherwise', async () => {
    const listed = 'http://127.0.0.1:9/listed-callback';
    const clientPage = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<link rel="redirect_uri" href="${listed}">`);
    });
    await new Promise<void>((resolve) => clientPage.listen(0, '127.0.0.1', resolve));
    const discovering = await startTestServer('sqlite', undefined, { authConfig: parseAuthConfig('redirect_uri_discovery: {allow_private_addresses: true}', 'test.yaml') });
    try {
      const clientId = `http://127.0.0.1:${(clientPage.address() as AddressInfo).port}/`;
      const get = (redirectUri: string) => fetch(`${discovering.baseUrl}/auth/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri }).toString()}`);
      expect(await (await get(listed)).text()).toContain('<form id="login"');
      const notListed = await (await get('http://127.0.0.1:9/other')).text();
      expect(notListed).toContain('<h1>This login link cannot be used</h1>');
      expect(notListed).not.toContain('<form');
    } finally {
      await discovering.close();
      clientPage.close();
    }
  });

  it('says what is missing instead of starting a flow without client_id or redirect_uri', async () => {
    const { page, requests } = await browse();
    await page.goto(authorizeUrl({ client_id: ownClient().clientId }));
    await page.getByRole('alert').filter({ hasText: 'no redirect_uri' }).waitFor();
    expect(await page.getByLabel('Password').count()).toBe(0);
    expect(requests).toEqual(['GET /auth/authorize']);
  });

  it('renders markup in client_id and state as text: nothing runs, no element appears', async () => {
    const { page } = await browse();
    const { redirectUri } = ownClient();
    const clientId = `${server.baseUrl}/?${INJECTION}`;
    await page.goto(authorizeUrl({ client_id: clientId, redirect_uri: redirectUri, state: INJECTION }));
    await page.getByLabel('Username').waitFor();
    expect(await page.locator('#client-id').textContent()).toBe(clientId);
    expect(await page.locator('img').count()).toBe(0);
    await logInWith(page, 'alice', 'wrong-password');
    await expectAlert(page, 'Wrong username or password.');
    expect(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned)).toBeUndefined();

    await logInWith(page, 'alice', 'secret-password');
    await page.waitForURL((url) => url.searchParams.has('code'));
    expect(new URL(page.url()).searchParams.get('state')).toBe(INJECTION);
  });

  describe('steps the server sends later (faked in the browser: this service has no MFA module yet)', () => {
    const flowStep = (overrides: Record<string, unknown>) => ({
      type: 'form', flow_id: 'f'.repeat(32), handler: ['homeassistant', null], errors: {},
      description_placeholders: null, last_step: null, preview: null, ...overrides,
    });
    const abort = (reason: string) => ({
      type: 'abort', flow_id: 'f'.repeat(32), handler: ['homeassistant', null], reason, description_placeholders: null,
    });

    /** Answers the n-th step submission with `answers[n]`; returns the bodies the page sent. */
    async function fakeSteps(page: Page, answers: Array<{ status?: number; body: unknown }>): Promise<unknown[]> {
      const sent: unknown[] = [];
      await page.route('**/auth/login_flow/*', async (route: Route) => {
        sent.push(route.request().postDataJSON());
        const answer = answers[sent.length - 1] ?? { status: 500, body: { message: 'no more answers' } };
        await route.fulfill({ status: answer.status ?? 200, contentType: 'application/json', body: JSON.stringify(answer.body) });
      });
      return sent;
    }

    it('asks for the module, then the code labelled with its name, and says what went wrong', async () => {
      const { page, requests } = await browse();
      const sent = await fakeSteps(page, [
        { body: flowStep({ step_id: 'select_mfa_module', data_schema: [
          { type: 'select', options: [['totp', 'Authenticator app'], ['notify', 'Notify One-Time Password']], name: 'multi_factor_auth_module' },
        ] }) },
        { body: flowStep({ step_id: 'mfa', data_schema: [{ type: 'string', name: 'code', required: true }],
          description_placeholders: { mfa_module_name: 'Authenticator app', mfa_module_id: 'totp' } }) },
        { body: flowStep({ step_id: 'mfa', data_schema: [{ type: 'string', name: 'code', required: true }],
          description_placeholders: { mfa_module_name: 'Authenticator app', mfa_module_id: 'totp' }, errors: { base: 'invalid_code' } }) },
        { body: abort('too_many_retry') },
      ]);
      const { clientId, redirectUri } = ownClient();
      await page.goto(authorizeUrl({ client_id: clientId, redirect_uri: redirectUri }));
      await logInWith(page, 'alice', 'secret-password');

      const method = page.getByLabel('Two-factor method');
      // allTextContents does not wait: wait for the step's form to be drawn (a loaded machine is slow).
      await method.locator('option').nth(1).waitFor({ state: 'attached' });
      expect(await method.locator('option').allTextContents()).toEqual(['Authenticator app', 'Notify One-Time Password']);
      await method.selectOption('totp');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('Code from Authenticator app').fill('123456');
      await page.getByRole('button', { name: 'Continue' }).click();
      await expectAlert(page, 'Wrong code. Check your authenticator app.');
      expect(await page.getByLabel('Code from Authenticator app').inputValue()).toBe('');
      await page.getByLabel('Code from Authenticator app').fill('654321');
      await page.getByRole('button', { name: 'Continue' }).click();
      await expectAlert(page, 'Too many wrong codes. Start again.');

      await page.getByRole('button', { name: 'Start again' }).click();
      await page.getByLabel('Username').waitFor();
      expect(requests.filter((request) => request === 'POST /auth/login_flow')).toHaveLength(2);

      expect(sent).toEqual([
        { client_id: clientId, username: 'alice', password: 'secret-password' },
        { client_id: clientId, multi_factor_auth_module: 'totp' },
        { client_id: clientId, code: '123456' },
        { client_id: clientId, code: '654321' },
      ]);
    });

    it.each([
      ['abort login_expired', 'The login took too long. Start again.', { body: abort('login_expired') }],
      ['abort not_allowed', 'You are not allowed to log in from this network.', { body: abort('not_allowed') }],
      [
        'select_mfa_module with invalid_auth_module',
        'That two-factor method is not available. Choose another one.',
        { body: flowStep({ step_id: 'select_mfa_module', errors: { base: 'invalid_auth_module' }, data_schema: [
          { type: 'select', options: [['totp', 'Authenticator app']], name: 'multi_factor_auth_module' }] }) },
      ],
      ['403 Login blocked', 'Login blocked: User is not active', { status: 403, body: { message: 'Login blocked: User is not active' } }],
    ])('%s → says "%s"', async (_name, text, answer) => {
      const { page } = await browse();
      await fakeSteps(page, [answer]);
      const { clientId, redirectUri } = ownClient();
      await page.goto(authorizeUrl({ client_id: clientId, redirect_uri: redirectUri }));
      await logInWith(page, 'alice', 'secret-password');
      await expectAlert(page, text);
    });
  });
});

describe('page headers', () => {
  it.each([
    ['login', '/auth/authorize?client_id=http%3A%2F%2Fapp.example%2F&redirect_uri=http%3A%2F%2Fapp.example%2Fcb', true, 'script'],
    ['refused login', '/auth/authorize?client_id=x&redirect_uri=y', true, 'script'],
    ['onboarding', '/', false, 'script'],
    ['running', '/', true, 'none'],
    ['profile', '/profile', true, 'script'],
    ['users', '/config/users', true, 'script'],
  ])('%s page: HTML that no frame may hold, under a strict CSP', async (_page, path, onboarded, scripts) => {
    if (onboarded) await onboardOwner(server);
    const response = await fetch(`${server.baseUrl}${path}`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(scripts === 'none' ? /script-src 'none';/ : /script-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(csp).toContain("trusted-types 'none'");
    expect(csp).not.toContain('unsafe');
    expect(csp.includes('img-src data:')).toBe(path === '/profile');
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(html).toContain('<meta name="viewport"');
    expect(html).not.toMatch(/\s(src|href)="?https?:/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(html).not.toContain('{{');
  });

  it('leaves the other responses as they were: SAMEORIGIN, no page CSP', async () => {
    const response = await fetch(`${server.baseUrl}/api/onboarding`);
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('content-security-policy')).toBeNull();
  });
});
