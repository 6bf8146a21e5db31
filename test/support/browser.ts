/**
 * A real browser for the page tests: Debian's chromium (`apt-get install chromium`, as .ci/run does)
 * driven by playwright-core, which never downloads a browser of its own.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * One chromium and one context for a whole test file, launched before its tests and closed after
 * them (a browser's start costs the most); the context is what openPage takes.
 */
export function browserForFile(): () => BrowserContext {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (context === undefined) throw new Error('the browser is used outside a test');
    return context;
  };
}

export interface WatchedPage {
  page: Page;
  /** Uncaught script errors, console errors and Content-Security-Policy / Trusted Types violations, in order. */
  problems: string[];
  /** `METHOD /path` of every request the page made to `origin`, in order. */
  requests: string[];
}

/**
 * A page that records what must never happen. Tests share one context (a context's first page costs
 * the most); each test's server listens on a port of its own, so no cookie or storage crosses over.
 */
export async function openPage(context: BrowserContext, origin: string): Promise<WatchedPage> {
  const page = await context.newPage();
  page.setDefaultTimeout(5_000);
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Trusted Type/i.test(text)) problems.push(text);
    // The browser's note on an HTTP error answer that the page asked for, and shows, is not the page's fault.
    else if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) {
      problems.push(`console error: ${text}`);
    }
  });
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin === origin) requests.push(`${request.method()} ${url.pathname}`);
  });
  return { page, problems, requests };
}
