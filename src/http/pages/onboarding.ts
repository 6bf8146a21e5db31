/**
 * The onboarding page (`/` before an owner exists): Home Assistant's onboarding user step
 * (ha-auth-spec §8.3). It creates the owner, then redeems the returned auth_code at /auth/token as
 * the frontend does (§6.1); this page has no use for the tokens, so it revokes the refresh token at
 * once instead of leaving an unused one behind. Once done, only the done section is shown: the
 * heading and text that asked for an owner go with the form.
 */
import { byId, valueOf } from './lib/dom.js';
import { CLIENT_ID } from './lib/session.js';

const form = byId('onboarding', HTMLFormElement);
const submit = byId('submit', HTMLButtonElement);
const errorBox = byId('error', HTMLParagraphElement);

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
}

async function call(path: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(path, { method: 'POST', ...init });
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  return { status: response.status, body };
}

/** The owner exists: the page says so, and nothing else. `note` says what went wrong on the way, if anything. */
function done(note: string): void {
  byId('create', HTMLElement).hidden = true;
  byId('done-note', HTMLParagraphElement).textContent = note;
  byId('done', HTMLElement).hidden = false;
  document.title = 'Your owner account is ready';
  byId('done-title', HTMLHeadingElement).focus();
}

async function createOwner(): Promise<void> {
  const created = await call('/api/onboarding/users', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: valueOf('name'),
      username: valueOf('username'),
      password: valueOf('password'),
      client_id: CLIENT_ID,
      language: navigator.language,
    }),
  });
  if (created.status === 403) {
    done('An owner account exists already: log in with it.');
    return;
  }
  const code = created.body?.auth_code;
  if (created.status !== 200 || typeof code !== 'string') {
    // The server's own words, e.g. Home Assistant's "Username … is not normalized" message.
    const message = created.body?.message;
    errorBox.textContent = typeof message === 'string' ? message : `The server answered with status ${created.status}.`;
    return;
  }
  const tokens = await call('/auth/token', { body: new URLSearchParams({ grant_type: 'authorization_code', client_id: CLIENT_ID, code }) });
  if (tokens.status !== 200 || tokens.body === null) {
    done(`The account was created, but logging in with it failed (status ${tokens.status}). Try the login page.`);
    return;
  }
  const refreshToken = tokens.body.refresh_token;
  if (typeof refreshToken === 'string') await call('/auth/revoke', { body: new URLSearchParams({ token: refreshToken }) });
  done('');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (valueOf('password') !== valueOf('password-again')) {
    errorBox.textContent = 'The two passwords differ.';
    byId('password-again', HTMLInputElement).focus();
    return;
  }
  errorBox.textContent = '';
  submit.disabled = true;
  createOwner()
    .catch(() => {
      errorBox.textContent = 'Cannot reach the server. Check your connection and try again.';
    })
    .finally(() => {
      submit.disabled = false;
    });
});
