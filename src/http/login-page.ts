/**
 * The pages a browser sees. Home Assistant's frontend serves them as static files that drive the JSON
 * endpoints and the WebSocket API (ha-auth-spec §3, §8, §12); here each is a small HTML file in
 * `pages/` with a script of its own (`pages/<name>.ts`, bundled by page-scripts.ts):
 *
 *   GET /auth/authorize?client_id=https://app.example/&redirect_uri=https://app.example/cb&state=xyz
 *       → the login page: runs POST /auth/login_flow and its steps (init, select_mfa_module, mfa) in
 *         the browser, then navigates to `https://app.example/cb?code=<code>&state=xyz`. The server
 *         never redirects by itself. Before serving the form it checks client_id and redirect_uri as
 *         the flow's completion will (§4.1, §4.2, IndieAuth discovery included): a link that could
 *         only end in "Invalid redirect URI" gets a page that explains it, with no password field.
 *         The login-flow API keeps Home Assistant's order (a 403 when the flow completes).
 *   GET / → the onboarding page (create the owner, §8.3) until an owner exists, then a page saying
 *         that the service runs, whose "Log in" leads to the profile.
 *   GET /profile → every signed-in user's sessions, long-lived tokens, MFA and password.
 *   GET /config/users → the users, for administrators.
 *   GET /inspect → the machines and their records, for owners and administrators.
 *
 * The last three sign in through the login page as a client of this origin (redirect_uri: the page
 * itself), exchange the code at /auth/token and speak the WebSocket API. The pages themselves are
 * public, as the login page is; what they show is not.
 *
 * The pages are static: query values reach them only through `location.search`, which the scripts
 * render with DOM text APIs, never as markup. Each page carries its script and styles inline; the
 * Content-Security-Policy allows exactly those blocks by hash (computed here at start-up), so
 * injected markup cannot run script, and `frame-ancestors 'none'` with `X-Frame-Options: DENY`
 * (instead of the SAMEORIGIN every other response carries) keeps the password form out of frames,
 * against clickjacking (ha-auth-spec §16.1).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { LoginFlowService, LoginLinkVerdict } from '../services/login/login-flows.js';
import type { OnboardingService } from '../services/users/onboarding.js';
import { pageScripts } from './page-scripts.js';

interface Page {
  html: string;
  contentSecurityPolicy: string;
}

interface PageOptions {
  /** `{{reason}}` in the HTML: a fixed sentence, never request data. */
  reason?: string;
  /** The profile shows the TOTP QR code (SVG) as an image from a `data:` URL. */
  dataImages?: boolean;
}

const PAGES_DIR = new URL('./pages/', import.meta.url);
const SCRIPTED_PAGES = ['authorize', 'authorize-refused', 'onboarding', 'inspect', 'profile', 'users'] as const;

/** Why a login link cannot be used, in the words of the page that says so. */
const REFUSALS: Record<Exclude<LoginLinkVerdict, 'ok'>, string> = {
  invalid_client_id: 'The application that sent you here did not give a valid address of its own (client_id).',
  invalid_redirect_uri:
    'The address this login would send you back to (redirect_uri) does not belong to the application that asks you to log in (client_id), so this page does not ask for your password.',
};

/** Every `<script>` and `<style>` block of a page, hashed as the browser hashes it (CSP Level 3 §8.4). */
function hashesOf(html: string, tag: 'script' | 'style'): string {
  if (new RegExp(`<${tag}\\s[^>]*>`, 'i').test(html)) throw new Error(`pages: <${tag}> with attributes is not hashed`);
  const blocks = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  if (blocks.length === 0) return `'none'`;
  return blocks.map(([, body = '']) => `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`).join(' ');
}

const readPageFile = (name: string) => readFileSync(new URL(name, PAGES_DIR), 'utf8');

/**
 * `pages/<file>.html` with `{{style}}` (pages/style.css), `{{style:<name>}}` (pages/<name>.css),
 * `{{script}}` (the page's bundled script) and `{{reason}}` filled in.
 */
function loadPage(file: string, script: string | undefined, options: PageOptions = {}): Page {
  const html = readPageFile(`${file}.html`)
    .replace(/\{\{style(?::([a-z-]+))?\}\}/g, (_match, name: string | undefined) => `<style>\n${readPageFile(`${name ?? 'style'}.css`)}</style>`)
    .replace('{{script}}', () => (script === undefined ? '' : `<script>\n${script}</script>`))
    .replace('{{reason}}', () => options.reason ?? '');
  if (/\{\{[^}]*\}\}/.test(html)) throw new Error(`pages: ${file}.html has a placeholder left`);
  const contentSecurityPolicy = [
    `default-src 'none'`,
    `script-src ${hashesOf(html, 'script')}`,
    `style-src ${hashesOf(html, 'style')}`,
    ...(options.dataImages === true ? [`img-src data:`] : []),
    // The scripts call this service's JSON endpoints and WebSocket only.
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

/** A query parameter as the page's `URLSearchParams.get` reads it: the first of repeated ones. */
function firstOf(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

export interface PageDeps {
  onboarding: OnboardingService;
  loginFlows: Pick<LoginFlowService, 'checkLoginLink'>;
}

export async function loginPageRoutes(app: FastifyInstance, { onboarding, loginFlows }: PageDeps): Promise<void> {
  const scripts = await pageScripts(SCRIPTED_PAGES);
  const scripted = (name: (typeof SCRIPTED_PAGES)[number], options?: PageOptions) => loadPage(name, scripts.get(name), options);
  const login = scripted('authorize');
  const refused = {
    invalid_client_id: scripted('authorize-refused', { reason: REFUSALS.invalid_client_id }),
    invalid_redirect_uri: scripted('authorize-refused', { reason: REFUSALS.invalid_redirect_uri }),
  };
  const createOwner = scripted('onboarding');
  const running = loadPage('running', undefined);
  const inspect = scripted('inspect');
  const profile = scripted('profile', { dataImages: true });
  const users = scripted('users');

  void app.register(async (scope) => {
    // Runs after the application-wide hook (security-headers.ts), so DENY replaces its SAMEORIGIN.
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('X-Frame-Options', 'DENY');
      reply.header('Cache-Control', 'no-store');
    });

    scope.get('/auth/authorize', async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const clientId = firstOf(query.client_id);
      const redirectUri = firstOf(query.redirect_uri);
      // Without either, the page itself says what the link lacks.
      if (clientId === undefined || redirectUri === undefined) return sendPage(reply, login);
      const verdict = await loginFlows.checkLoginLink(clientId, redirectUri);
      // 200, as every page: the explanation is for the person, and Home Assistant's frontend serves this path as a page.
      return sendPage(reply, verdict === 'ok' ? login : refused[verdict]);
    });

    scope.get('/inspect', async (_request, reply) => sendPage(reply, inspect));
    scope.get('/profile', async (_request, reply) => sendPage(reply, profile));
    scope.get('/config/users', async (_request, reply) => sendPage(reply, users));

    // Asks the service, not the store: "onboarded" is the onboarding service's notion (§8).
    scope.get('/', async (_request, reply) => sendPage(reply, (await onboarding.isStarted()) ? running : createOwner));
  });
}
