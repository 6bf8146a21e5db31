/**
 * What /profile, /config/users and /inspect do alike: resume or start the tab's session
 * (session.ts), open the WebSocket (socket.ts), read who is signed in (`auth/current_user`), show
 * the links this user may follow (nav.ts) and the sign-out button, then hand over to the page.
 * Every page holds `#error`, `#status`, `#nav`, `#sign-out` and `#sign-in`.
 */
import type { CurrentUser } from './api.js';
import { byId, messageOf, notices } from './dom.js';
import { showNav } from './nav.js';
import { forgetSession, resumeSession, signIn, signOut } from './session.js';
import { CommandSocket } from './socket.js';

export interface SignedInPage {
  /** The page's own path: where the login page sends the browser back to. */
  path: string;
  /** The socket is authenticated: load what the page shows. Runs again after every reconnect. */
  ready(socket: CommandSocket, me: CurrentUser): Promise<void>;
}

/** Stops the page with `text`, offering to sign in (again, or as someone else). */
export function refuse(socket: CommandSocket | null, text: string, offer = 'Sign in again'): void {
  socket?.close();
  notices.error(text);
  notices.status('');
  const again = byId('sign-in', HTMLButtonElement);
  again.textContent = offer;
  again.hidden = false;
}

export function runSignedInPage(page: SignedInPage): void {
  const socket = new CommandSocket({
    async ready() {
      try {
        const me = await socket.result<CurrentUser>('auth/current_user');
        showNav(page.path, me.is_admin);
        byId('sign-out', HTMLButtonElement).hidden = false;
        await page.ready(socket, me);
      } catch (error) {
        notices.error(messageOf(error));
      }
    },
    status: notices.status,
    ended: () => signIn(page.path),
  });

  byId('sign-in', HTMLButtonElement).addEventListener('click', () => {
    forgetSession();
    signIn(page.path);
  });
  byId('sign-out', HTMLButtonElement).addEventListener('click', () => {
    socket.close();
    void signOut(page.path);
  });

  resumeSession(page.path)
    .then((resumed) => {
      if (resumed.kind === 'signed_in') socket.open();
      else if (resumed.kind === 'refused') refuse(null, resumed.problem);
    })
    .catch((error: unknown) => refuse(socket, messageOf(error)));
}
