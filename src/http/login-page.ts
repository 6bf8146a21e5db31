/**
 * The pages a browser sees. Home Assistant's frontend serves them as static files that drive the JSON
 * endpoints (ha-auth-spec §3, §8); here they are small HTML files in `pages/`:
 *
 *   GET /auth/authorize?client_id=https://app.example/&redirect_uri=https://app.example/cb&state=xyz
 *       → the login page: runs POST /auth/login_flow and its steps (init, select_mfa_module, mfa) in
 *         the browser, then navigates to `https://app.example/cb?code=<code>&state=xyz`. The server
 *         never redirects by itself; it checks redirect_uri when the flow completes (§3.3).
 *   GET / → the onboarding page (create the owner, §8.3) until an owner exists, then a page saying
 *         that the service runs, with a link to the login page.
 *   GET /inspect → the inspection page (owners and administrators): signs in through the login page
 *         as a client of this origin (redirect_uri `/inspect`), exchanges the code at /auth/token, then
 *         draws the machines and their live counts from the WebSocket API's `inspect/*` commands
 *         (ws/commands/inspect.ts). The page itself is public, as the login page is; what it shows
 *         is not.
 *
 * The pages are static: query values reach the page only through `location.search`, which the
 * scripts render with DOM text APIs, never as markup. Each page carries its script and style inline;
 * the Content-Security-Policy allows exactly those blocks by hash (computed here at start-up), so
 * injected markup cannot run script, and `frame-ancestors 'none'` with `X-Frame-Options: DENY`
 * (instead of the SAMEORIGIN every other response carries) keeps the password form out of frames,
 * against clickjacking (ha-auth-spec §16.1).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OnboardingService } from '../services/onboarding.js';

interface Page {
  html: string;
  contentSecurityPolicy: string;
}

const PAGES_DIR = new URL('./pages/', import.meta.url);

/** Every `<script>` and `<style>` block of a page, hashed as the browser hashes it (CSP Level 3 §8.4). */
function hashesOf(html: string, tag: 'script' | 'style'): string {
  if (new RegExp(`<${tag}\\s[^>]*>`, 'i').test(html)) throw new Error(`pages: <${tag}> with attributes is not hashed`);
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  if (blocks.length === 0) return `'none'`;
  return blocks.map(([, body = '']) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`).join(' ');
}

/** A page from `pages/<name>.html`, with `{{style}}` replaced by the shared `pages/style.css`. */
function loadPage(name: string, css: string): Page {
  const html = readFileSync(new URL(`${name}.html`, PAGES_DIR), 'utf8').replace('{{style}}', () => `<style>\n${css}</style>`);
  const contentSecurityPolicy = [
    `default-src 'none'`,
    `script-src ${hashesOf(html, 'script')}`,
    `style-src ${hashesOf(html, 'style')}`,
    // The scripts call this service's JSON endpoints only.
    `connect-src 'self'`,
    `base-uri 'none'`,
    // Forms are sent by script; without it, a form must not send the password anywhere.
    `form-action 'none'`,
    `frame-ancestors 'none'`,
    // The scripts never build markup from strings: any innerHTML-like sink fails outright.
    `require-trusted-types-for 'script'`,
    `trusted-types 'none'`,
  ].join('; ');
  return { html, contentSecurityPolicy };
}

function sendPage(reply: FastifyReply, page: Page): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('Content-Security-Policy', page.contentSecurityPolicy).send(page.html);
}

export function loginPageRoutes(app: FastifyInstance, onboarding: OnboardingService): void {
  const css = readFileSync(new URL('style.css', PAGES_DIR), 'utf8');
  const login = loadPage('authorize', css);
  const createOwner = loadPage('onboarding', css);
  const running = loadPage('running', css);
  const inspect = loadPage('inspect', css);

  void app.register(async (scope) => {
    // Runs after the application-wide hook (security-headers.ts), so DENY replaces its SAMEORIGIN.
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('X-Frame-Options', 'DENY');
      reply.header('Cache-Control', 'no-store');
    });

    scope.get('/auth/authorize', async (_request, reply) => sendPage(reply, login));

    scope.get('/inspect', async (_request, reply) => sendPage(reply, inspect));

    // Asks the service, not the store: "onboarded" is the onboarding service's notion (§8).
    scope.get('/', async (_request, reply) => sendPage(reply, (await onboarding.isStarted()) ? running : createOwner));
  });
}
