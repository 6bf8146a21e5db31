/**
 * The sign-in that /profile, /config/users and /inspect share. Each page is a client of this origin
 * (client_id `<origin>/`, ha-auth-spec §4.1): it sends the browser through the login page with its
 * own address as redirect_uri and a random `state`, exchanges the code that comes back at
 * /auth/token (§6.1), and keeps the tokens in sessionStorage, so that the pages of one browser tab
 * share one session, which ends with the tab.
 */

const STORAGE_KEY = 'hass-auth-session';
export const CLIENT_ID = `${location.origin}/`;

interface Kept {
  state?: string;
  access?: string;
  refresh?: string;
}

function kept(): Kept {
  try {
    const value: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '{}');
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

function keep(value: Kept): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Sends the browser to the login page, which sends it back to `path` with a code and the state. */
export function signIn(path: string): void {
  const state = randomHex(16);
  keep({ state });
  const query = new URLSearchParams({ client_id: CLIENT_ID, redirect_uri: location.origin + path, state });
  location.assign(`/auth/authorize?${query.toString()}`);
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
}

async function tokenRequest(fields: Record<string, string>): Promise<Tokens | null> {
  const response = await fetch('/auth/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...fields }).toString(),
  });
  if (!response.ok) return null;
  const body = (await response.json()) as Partial<Tokens>;
  return typeof body.access_token === 'string' ? { access_token: body.access_token, ...(body.refresh_token === undefined ? {} : { refresh_token: body.refresh_token }) } : null;
}

export type Resumed = { kind: 'signed_in' } | { kind: 'signing_in' } | { kind: 'refused'; problem: string };

/**
 * On load: the code the login page sent back (taken out of the address bar and the history first),
 * or the session the tab keeps; without either, the browser goes to sign in.
 */
export async function resumeSession(path: string): Promise<Resumed> {
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  if (code === null) {
    if (kept().access !== undefined) return { kind: 'signed_in' };
    signIn(path);
    return { kind: 'signing_in' };
  }
  history.replaceState(null, '', path);
  if (query.get('state') !== kept().state) return { kind: 'refused', problem: 'The sign-in came back with an unknown state. Sign in again.' };
  const tokens = await tokenRequest({ grant_type: 'authorization_code', code });
  if (tokens === null) return { kind: 'refused', problem: 'The sign-in code was not accepted. Sign in again.' };
  keep({ access: tokens.access_token, ...(tokens.refresh_token === undefined ? {} : { refresh: tokens.refresh_token }) });
  return { kind: 'signed_in' };
}

export function accessToken(): string {
  return kept().access ?? '';
}

/** A new access token from the session's refresh token; null when the session has ended. */
export async function renewAccessToken(): Promise<string | null> {
  const session = kept();
  if (session.refresh === undefined) return null;
  const tokens = await tokenRequest({ grant_type: 'refresh_token', refresh_token: session.refresh });
  if (tokens === null) return null;
  keep({ ...session, access: tokens.access_token });
  return tokens.access_token;
}

/** Forgets the session without ending it (signing in as someone else). */
export function forgetSession(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** Ends the session (its refresh token and every access token it minted), then offers the login page again. */
export async function signOut(path: string): Promise<void> {
  const { refresh } = kept();
  forgetSession();
  if (refresh !== undefined) await fetch('/auth/revoke', { method: 'POST', body: new URLSearchParams({ token: refresh }) });
  signIn(path);
}
