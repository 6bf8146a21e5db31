/**
 * The profile page (`GET /profile`) in Debian's chromium against a real server, signed in through
 * the login page: the sessions (the current one marked; deleting one closes its WebSocket, and
 * "log out all other sessions" ends the rest), a long-lived token created, shown once, working on
 * `GET /api/` and deleted, TOTP turned on with the QR code and a code and off again, the password
 * changed, the links to the pages the user may open, on a phone and a desktop, and by keyboard only.
 * Never a script error, a console error or a CSP violation (pagePerTest).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserForFile } from '../support/browser.js';
import { totpAt, wrongCode } from '../support/mfa.js';
import { expectNoSidewaysScrolling, pagePerTest, signInOn, tabTo, type ViewportName } from '../support/pages.js';
import { CLIENT_ID, startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { claimsOf, tokensOf } from '../ws/ws-helpers.js';
import { addUserWithLogin } from './http-helpers.js';
import { logIn, onboardOwner, postForm } from '../support/http-client.js';

const PASSWORD = 'secret-password';

const context = browserForFile();
const browse = pagePerTest(context);
let server: TestServer;
let onboarding: { refresh_token: string };

beforeEach(async () => {
  server = await startTestServer('sqlite');
  onboarding = await onboardOwner(server, 'alice', PASSWORD);
});
afterEach(async () => {
  await server.close();
});

async function openProfile(viewport: ViewportName = 'desktop', username = 'alice', password = PASSWORD): Promise<Page> {
  const { page } = await browse(server.baseUrl, viewport);
  await signInOn(page, server, '/profile', username, password);
  await page.locator('#profile').waitFor();
  return page;
}

const sessionRow = (page: Page, tokenId: string) => page.locator(`#session-list > li[data-token-id="${tokenId}"]`);
const idOf = (tokens: { access_token: string }) => claimsOf(tokens.access_token).iss as string;

async function apiStatus(token: string): Promise<number> {
  return (await fetch(`${server.baseUrl}/api/`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe('GET /profile', () => {
  it('lists the sessions with this browser marked; deleting one closes its socket; then logs out all the others', async () => {
    const other = await tokensOf(server, 'alice', PASSWORD);
    const otherSocket = await TestSocket.authenticated(server, other.access_token);
    const page = await openProfile();

    await expect.poll(() => page.locator('#session-list > li').count()).toBe(3);
    const current = page.locator('#session-list > li', { hasText: 'this browser' });
    expect(await current.count()).toBe(1);
    expect(await current.getByRole('button').count()).toBe(0);
    expect(await current.textContent()).toContain(`${server.baseUrl}/`);
    const row = sessionRow(page, idOf(other));
    expect(await row.textContent()).toMatch(/^http:\/\/127\.0\.0\.1:8123\/created .+, last used .+ from 127\.0\.0\.1Delete$/);

    await row.getByRole('button', { name: /^Delete the session of http:\/\/127\.0\.0\.1:8123\// }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await otherSocket.closedWithin();
    await row.waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Deleted the session of http://127.0.0.1:8123/.' }).waitFor();
    expect(await apiStatus(other.access_token)).toBe(401);

    await page.getByRole('button', { name: 'Log out all other sessions' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.locator('#session-list > li').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Log out all other sessions' }).isHidden()).toBe(true);
    const refreshed = await postForm(server, '/auth/token', { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: onboarding.refresh_token });
    expect(refreshed.status).toBe(400);
  });

  it('asks before deleting: Cancel (or Escape) deletes nothing', async () => {
    const other = await tokensOf(server, 'alice', PASSWORD);
    const page = await openProfile();
    const row = sessionRow(page, idOf(other));
    await row.getByRole('button').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button').click();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await apiStatus(other.access_token)).toBe(200);
  });

  it('creates a long-lived token, shows it once with a copy button, and it works on GET /api/ until deleted', async () => {
    await context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    const page = await openProfile();
    await page.getByLabel('Name of a new token').fill('Garden sensor');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.locator('#new-token-value');
    await shown.waitFor();
    const token = await shown.inputValue();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await apiStatus(token)).toBe(200);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.locator('#copy-status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);

    // Creating it minted its first access token (a use, as in Home Assistant), from no address.
    const listed = page.locator('#token-list > li', { hasText: 'Garden sensor' });
    expect(await listed.textContent()).toContain(', last used ');
    expect(await listed.textContent()).not.toContain(' from ');
    // Shown once: a new visit lists the token but cannot show it.
    await page.reload();
    await page.locator('#profile').waitFor();
    await listed.waitFor();
    expect(await page.locator('#new-token').isHidden()).toBe(true);
    expect(await page.content()).not.toContain(token);

    await listed.getByRole('button', { name: 'Delete the token of Garden sensor', exact: false }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await listed.waitFor({ state: 'detached' });
    expect(await apiStatus(token)).toBe(401);
  });

  it('says why a token cannot be created: a name the user already has', async () => {
    const page = await openProfile();
    for (const attempt of [1, 2]) {
      await page.getByLabel('Name of a new token').fill('Twice');
      await page.getByRole('button', { name: 'Create token' }).click();
      if (attempt === 1) await page.locator('#token-list > li', { hasText: 'Twice' }).waitFor();
    }
    await page.getByRole('alert').filter({ hasText: 'Twice' }).waitFor();
    expect(await page.locator('#token-list > li', { hasText: 'Twice' }).count()).toBe(1);
  });

  it('turns TOTP on with the QR code and a code from the app (a wrong one refused), then off', async () => {
    const page = await openProfile();
    const module = page.locator('#mfa-list > li', { hasText: 'Authenticator app' });
    expect(await module.locator('.meta').textContent()).toBe('off');
    await module.getByRole('button', { name: 'Turn on Authenticator app' }).click();
    const qr = page.getByRole('img', { name: 'QR code to scan with the authenticator app' });
    await qr.waitFor();
    // Decoded under the page's CSP (img-src data:): the SVG became an image with a width.
    await expect.poll(() => qr.evaluate((image: { naturalWidth: number }) => image.naturalWidth)).toBeGreaterThan(0);
    const secret = (await page.locator('#mfa-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);

    await page.getByLabel('Code from the app').fill(wrongCode(secret, server.clock.now));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong code. Check the app and try the newest code.' }).waitFor();
    await page.getByLabel('Code from the app').fill(totpAt(secret, server.clock.now));
    await page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Two-factor authentication is on' }).waitFor();
    await module.locator('.meta').filter({ hasText: 'on' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('');
    expect(await page.locator('#mfa-setup').isHidden()).toBe(true);
    expect(await logIn(server, 'alice', PASSWORD)).toMatchObject({ type: 'form', step_id: 'mfa' });

    await module.getByRole('button', { name: 'Turn off Authenticator app' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Turn off' }).click();
    await module.locator('.meta').filter({ hasText: 'off' }).waitFor();
    expect(await logIn(server, 'alice', PASSWORD)).toMatchObject({ type: 'create_entry' });
  });

  it('changes the password after checking both new ones and the current one', async () => {
    const page = await openProfile();
    await page.getByLabel('Current password').fill('wrong');
    await page.getByLabel('New password', { exact: true }).fill('new-secret');
    await page.getByLabel('New password again').fill('new-secreT');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'The two new passwords differ.' }).waitFor();
    await page.getByLabel('New password again').fill('new-secret');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid current password' }).waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    expect(await page.getByLabel('Current password').inputValue()).toBe('');
    expect(await logIn(server, 'alice', 'new-secret')).toMatchObject({ type: 'create_entry' });
    expect(await logIn(server, 'alice', PASSWORD)).toMatchObject({ type: 'form', errors: { base: 'invalid_auth' } });
  });

  it('links an administrator to the users page and the machines, and a user to neither', async () => {
    const owner = await openProfile();
    expect(await owner.getByRole('navigation').getByRole('link').allTextContents()).toEqual(['Profile', 'Users', 'Machines']);
    expect(await owner.getByRole('link', { name: 'Profile' }).getAttribute('aria-current')).toBe('page');
    expect(await owner.locator('#account-role').textContent()).toBe('Owner');
    await owner.getByRole('link', { name: 'Users' }).click();
    await owner.waitForURL((url) => url.pathname === '/config/users');
    // The tab's session goes along: no second login.
    await owner.locator('#user-list > li').first().waitFor();
    await owner.getByRole('link', { name: 'Machines' }).click();
    await owner.getByRole('status').filter({ hasText: 'Connected. Counts update live.' }).waitFor();
    await owner.getByRole('link', { name: 'Profile' }).click();
    await owner.locator('#profile').waitFor();
    await owner.close();

    await addUserWithLogin(server, 'bob', 'bob-password');
    const user = await openProfile('desktop', 'bob', 'bob-password');
    expect(await user.getByRole('navigation').getByRole('link').allTextContents()).toEqual(['Profile']);
    expect(await user.locator('#account-role').textContent()).toBe('User');
  });

  it('signs out: the session ends, and the login page is shown again', async () => {
    const page = await openProfile();
    const userId = (await server.store.users.findCredential('homeassistant', null, 'alice'))?.userId ?? '';
    const live = async () =>
      (await server.store.refreshTokens.listByUser(userId)).filter(({ envelope }) => (envelope.snapshot as { value: string }).value === 'issued').length;
    expect(await live()).toBe(2);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/auth/authorize');
    await expect.poll(live).toBe(1);
  });

  it.each(['phone', 'desktop'] as const)('fits a %s screen with the token and the QR code shown', async (viewport) => {
    const page = await openProfile(viewport);
    await page.getByLabel('Name of a new token').fill('A name long enough to wrap on a narrow screen, and then some more');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('#new-token-value').waitFor();
    await page.getByRole('button', { name: 'Turn on Authenticator app' }).click();
    await page.locator('#mfa-qr').waitFor();
    await expectNoSidewaysScrolling(page);
    for (const name of ['Sign out', 'Create token', 'Copy', 'Change password']) {
      const box = await page.getByRole('button', { name, exact: true }).boundingBox();
      expect(box?.height, name).toBeGreaterThanOrEqual(32);
    }
    await page.screenshot({ path: join(tmpdir(), `hass-auth-profile-${viewport}.png`), fullPage: true });
  });

  it('works by keyboard only: creates a token, deletes a session, changes the password', async () => {
    const other = await tokensOf(server, 'alice', PASSWORD);
    const otherSocket = await TestSocket.authenticated(server, other.access_token);
    const page = await openProfile();

    await tabTo(page, page.getByLabel('Name of a new token'));
    await page.keyboard.type('Typed token');
    await page.keyboard.press('Enter');
    await page.locator('#token-list > li', { hasText: 'Typed token' }).waitFor();
    expect(await page.locator(':focus').getAttribute('id')).toBe('new-token-value');
    expect(await apiStatus(await page.locator('#new-token-value').inputValue())).toBe(200);

    await tabTo(page, sessionRow(page, idOf(other)).getByRole('button'), { backwards: true });
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').textContent()).toBe('Cancel');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await otherSocket.closedWithin();
    // Its row is gone; the keyboard goes on from the list's heading.
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('sessions-title');

    await tabTo(page, page.getByLabel('Current password'));
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Tab');
    await page.keyboard.type('typed-secret');
    await page.keyboard.press('Tab');
    await page.keyboard.type('typed-secret');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Your password is changed.' }).waitFor();
    expect(await logIn(server, 'alice', 'typed-secret')).toMatchObject({ type: 'create_entry' });
  });
});
