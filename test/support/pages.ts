/**
 * What the tests of the signed-in pages (/profile, /config/users) share: one watched page per test
 * (its problems fail the test), the sign-in through the login page, keyboard-only movement, and the
 * viewports a page must fit.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';
import { openPage, type WatchedPage } from './browser.js';
import type { TestServer } from './test-server.js';

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

export type ViewportName = keyof typeof VIEWPORTS;

/**
 * A page per test, on a desktop viewport unless told otherwise, closed after the test, which fails
 * if the page had a script error, a console error or a CSP violation.
 */
export function pagePerTest(context: () => BrowserContext): (origin: string, viewport?: ViewportName) => Promise<WatchedPage> {
  let watched: WatchedPage | undefined;
  afterEach(async () => {
    const problems = watched?.problems ?? [];
    await watched?.page.close();
    watched = undefined;
    expect(problems).toEqual([]);
  });
  return async (origin, viewport = 'desktop') => {
    watched = await openPage(context(), origin);
    await watched.page.setViewportSize(VIEWPORTS[viewport]);
    return watched;
  };
}

/** Opens `path`, which sends the browser to the login page with itself as redirect_uri; logs in there and comes back. */
export async function signInOn(page: Page, server: TestServer, path: string, username: string, password: string): Promise<void> {
  await page.goto(`${server.baseUrl}${path}`);
  await page.waitForURL((url) => url.pathname === '/auth/authorize');
  const authorize = new URL(page.url()).searchParams;
  expect(authorize.get('client_id')).toBe(`${server.baseUrl}/`);
  expect(authorize.get('redirect_uri')).toBe(`${server.baseUrl}${path}`);
  expect(authorize.get('state')).toMatch(/^[0-9a-f]{32}$/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.pathname === path && url.search === '');
}

/** Typed by hand: the tests' TypeScript has no DOM types. */
interface FocusableElement {
  ownerDocument: { activeElement: unknown };
}

const hasFocus = (target: Locator) => target.evaluate((element: FocusableElement) => element === element.ownerDocument.activeElement);

/** Presses Tab (Shift+Tab with `backwards`) until `target` has the focus, as a keyboard-only user would; fails after `limit` presses. */
export async function tabTo(page: Page, target: Locator, { limit = 60, backwards = false } = {}): Promise<void> {
  for (let presses = 0; presses < limit; presses += 1) {
    if (await hasFocus(target)) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${target.toString()} not reached with ${limit} presses of Tab`);
}

/** Nothing on the page is wider than the viewport: no sideways scrolling, on a phone included. */
export async function expectNoSidewaysScrolling(page: Page): Promise<void> {
  const widths = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, window.innerWidth]');
  expect(widths[0]).toBeLessThanOrEqual(widths[1]);
}
