/**
 * The users page (`GET /config/users`) in Debian's chromium against a real server: an owner adds a
 * user who can then log in, renames, regroups and deactivates them, changes their username and
 * password, and deletes them (their WebSocket closes); a failed login creation leaves no user
 * behind; an administrator who is not the owner is not offered what only the owner may do (nor to
 * delete the owner); a user who is no administrator is refused. On a phone and a desktop, by
 * keyboard only, without a script error, a console error or a CSP violation (pagePerTest).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserForFile } from '../support/browser.js';
import { expectNoSidewaysScrolling, pagePerTest, signInOn, tabTo, type ViewportName } from '../support/pages.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { TestSocket } from '../support/ws-client.js';
import { tokensOf } from '../ws/ws-helpers.js';
import { addUserWithLogin } from './http-helpers.js';
import { logIn, onboardOwner } from '../support/http-client.js';

const PASSWORD = 'secret-password';

const context = browserForFile();
const browse = pagePerTest(context);
let server: TestServer;

beforeEach(async () => {
  server = await startTestServer('sqlite');
  await onboardOwner(server, 'alice', PASSWORD);
});
afterEach(async () => {
  await server.close();
});

async function openUsers(viewport: ViewportName = 'desktop', username = 'alice', password = PASSWORD): Promise<Page> {
  const { page } = await browse(server.baseUrl, viewport);
  await signInOn(page, server, '/config/users', username, password);
  await page.locator('#users').waitFor();
  return page;
}

const userRow = (page: Page, name: string) => page.locator('#user-list > li', { has: page.locator('strong', { hasText: new RegExp(`^${name}`) }) });

async function storedUser(name: string) {
  return (await server.store.users.listUsers()).find((user) => user.name === name) ?? null;
}

async function addBob(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a user' });
  await dialog.getByLabel('Name', { exact: true }).fill('Bob');
  await dialog.getByLabel('Username').fill('bob');
  await dialog.getByLabel('Password', { exact: true }).fill('bob-password');
  await dialog.getByLabel('Password again').fill('bob-password');
  await dialog.getByLabel('Group').selectOption('system-users');
  await dialog.getByLabel('Can only log in from the local network').check();
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('status').filter({ hasText: 'Added Bob.' }).waitFor();
}

describe('GET /config/users', () => {
  it('lists the users; adds one who can log in; renames, regroups and deactivates them; changes their login; deletes them', async () => {
    const page = await openUsers();
    expect(await userRow(page, 'Alice').textContent()).toBe('Aliceyouownerusername alice · Administrators · homeassistantEdit');

    await addBob(page);
    expect(await userRow(page, 'Bob').textContent()).toBe('Boblocal onlyusername bob · Users · homeassistantEdit');
    expect(await storedUser('Bob')).toMatchObject({ groupIds: ['system-users'], localOnly: true, isActive: true, isOwner: false });
    const bob = await tokensOf(server, 'bob', 'bob-password');
    const bobSocket = await TestSocket.authenticated(server, bob.access_token);

    await userRow(page, 'Bob').getByRole('button', { name: 'Edit Bob' }).click();
    const dialog = page.getByRole('dialog', { name: 'Bob' });
    await dialog.getByLabel('Name', { exact: true }).fill('Robert');
    await dialog.getByLabel('Group').selectOption('system-admin');
    await dialog.getByLabel('Active: can log in').uncheck();
    await dialog.getByLabel('Can only log in from the local network').uncheck();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved Robert.' }).waitFor();
    expect(await userRow(page, 'Robert').textContent()).toBe('Robertinactiveusername bob · Administrators · homeassistantEdit');
    expect(await storedUser('Robert')).toMatchObject({ groupIds: ['system-admin'], localOnly: false, isActive: false });
    // Deactivating closes the user's sockets on every instance (services/users/user-admin.ts).
    await bobSocket.closedWithin();

    await userRow(page, 'Robert').getByRole('button', { name: 'Edit Robert' }).click();
    const robert = page.getByRole('dialog', { name: 'Robert' });
    await robert.getByLabel('Active: can log in').check();
    await robert.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved Robert.' }).waitFor();
    await userRow(page, 'Robert').getByRole('button', { name: 'Edit Robert' }).click();
    await robert.getByLabel('New username').fill('robert');
    await robert.getByRole('button', { name: 'Change username' }).click();
    await page.getByRole('status').filter({ hasText: 'Username changed.' }).waitFor();
    await userRow(page, 'Robert').getByRole('button', { name: 'Edit Robert' }).click();
    await robert.getByLabel('New password').fill('robert-password');
    await robert.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
    expect(await userRow(page, 'Robert').textContent()).toContain('username robert');
    expect(await logIn(server, 'robert', 'robert-password')).toMatchObject({ type: 'create_entry' });
    const robertSocket = await TestSocket.authenticated(server, (await tokensOf(server, 'robert', 'robert-password')).access_token);

    await userRow(page, 'Robert').getByRole('button', { name: 'Edit Robert' }).click();
    await robert.getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('dialog', { name: /Delete Robert\?/ }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted Robert.' }).waitFor();
    await robertSocket.closedWithin();
    expect(await userRow(page, 'Robert').count()).toBe(0);
    expect(await storedUser('Robert')).toBeNull();
    expect(await logIn(server, 'robert', 'robert-password')).toMatchObject({ type: 'form', errors: { base: 'invalid_auth' } });
  });

  it('keeps no user behind when its login cannot be made, and says why', async () => {
    const page = await openUsers();
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a user' });
    await dialog.getByLabel('Name', { exact: true }).fill('Second Alice');
    await dialog.getByLabel('Username').fill('alice');
    await dialog.getByLabel('Password', { exact: true }).fill('x');
    await dialog.getByLabel('Password again').fill('y');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'The two passwords differ.' }).waitFor();
    await dialog.getByLabel('Password again').fill('x');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Username "alice" already exists' }).waitFor();
    await expect.poll(async () => (await server.store.users.listUsers()).length).toBe(1);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('#user-list > li').count()).toBe(1);
  });

  it('offers the owner no way to delete or deactivate themselves', async () => {
    const page = await openUsers();
    await userRow(page, 'Alice').getByRole('button', { name: 'Edit Alice' }).click();
    const dialog = page.getByRole('dialog', { name: 'Alice (you)' });
    expect(await dialog.getByRole('button', { name: 'Delete user' }).isHidden()).toBe(true);
    expect(await dialog.getByLabel('Active: can log in').isDisabled()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'Change password' }).isVisible()).toBe(true);
  });

  it('shows an administrator who is not the owner only what they may do: no owner deletion, no login changes', async () => {
    await addUserWithLogin(server, 'carol', 'carol-password', { groupIds: ['system-admin'] });
    await addUserWithLogin(server, 'dave', 'dave-password');
    const page = await openUsers('desktop', 'carol', 'carol-password');
    expect(await page.locator('#owner-note').isVisible()).toBe(true);

    await userRow(page, 'Alice').getByRole('button', { name: 'Edit Alice' }).click();
    const owner = page.getByRole('dialog', { name: 'Alice' });
    expect(await owner.getByRole('button', { name: 'Delete user' }).isHidden()).toBe(true);
    expect(await owner.getByLabel('Active: can log in').isDisabled()).toBe(true);
    expect(await owner.getByRole('button', { name: 'Change password' }).isHidden()).toBe(true);
    await owner.getByRole('button', { name: 'Close' }).click();

    await userRow(page, 'dave').getByRole('button', { name: 'Edit dave' }).click();
    const dave = page.getByRole('dialog', { name: 'dave' });
    expect(await dave.getByRole('button', { name: 'Change username' }).isHidden()).toBe(true);
    await dave.getByRole('button', { name: 'Delete user' }).click();
    await page.getByRole('dialog', { name: /Delete dave\?/ }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted dave.' }).waitFor();
    expect(await storedUser('dave')).toBeNull();
  });

  it('refuses a user who is no administrator, and links them to their profile', async () => {
    await addUserWithLogin(server, 'bob', 'bob-password');
    const { page } = await browse(server.baseUrl);
    await signInOn(page, server, '/config/users', 'bob', 'bob-password');
    await page.getByRole('alert').filter({ hasText: 'Only administrators may manage users, and this account is not one.' }).waitFor();
    expect(await page.locator('#users').isHidden()).toBe(true);
    expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual(['Profile']);
    expect(await page.getByRole('button', { name: 'Sign in as someone else' }).isVisible()).toBe(true);
  });

  it.each(['phone', 'desktop'] as const)('fits a %s screen, the list and the dialogs', async (viewport) => {
    await addUserWithLogin(server, 'a-user-with-a-rather-long-username', 'pw', { name: 'Someone with a name that does not fit on one line of a phone' });
    const page = await openUsers(viewport);
    await expectNoSidewaysScrolling(page);
    await page.screenshot({ path: join(tmpdir(), `hass-auth-users-${viewport}.png`), fullPage: true });
    await page.getByRole('button', { name: /^Edit Someone/ }).click();
    const dialog = page.getByRole('dialog');
    await expectNoSidewaysScrolling(page);
    const box = await dialog.boundingBox();
    const viewportWidth = page.viewportSize()?.width ?? 0;
    expect((box?.x ?? -1) >= 0 && (box?.x ?? 0) + (box?.width ?? Infinity) <= viewportWidth).toBe(true);
    await page.screenshot({ path: join(tmpdir(), `hass-auth-users-dialog-${viewport}.png`) });
  });

  it('works by keyboard only: adds a user, renames them, then deletes them', async () => {
    const page = await openUsers();
    await tabTo(page, page.getByRole('button', { name: 'Add user' }));
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').getAttribute('id')).toBe('create-name');
    for (const [index, text] of ['Erin', 'erin', 'erin-password', 'erin-password'].entries()) {
      await page.keyboard.type(text);
      await page.keyboard.press(index < 3 ? 'Tab' : 'Enter');
    }
    await page.getByRole('status').filter({ hasText: 'Added Erin.' }).waitFor();
    expect(await logIn(server, 'erin', 'erin-password')).toMatchObject({ type: 'create_entry' });

    // The list is drawn anew: the focus is on the new user's Edit button.
    await expect.poll(() => page.locator(':focus').getAttribute('aria-label')).toBe('Edit Erin');
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').getAttribute('id')).toBe('edit-name');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Erin E.');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Saved Erin E..' }).waitFor();
    expect(await storedUser('Erin E.')).not.toBeNull();
    await expect.poll(() => page.locator(':focus').getAttribute('aria-label')).toBe('Edit Erin E.');
    await page.keyboard.press('Enter');
    await tabTo(page, page.getByRole('button', { name: 'Delete user' }));
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').textContent()).toBe('Cancel');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Deleted Erin E..' }).waitFor();
    expect(await storedUser('Erin E.')).toBeNull();
    await expect.poll(() => page.locator(':focus').getAttribute('id')).toBe('users-title');
  });
});
