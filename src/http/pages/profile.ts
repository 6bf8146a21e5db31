/**
 * The profile page (`/profile`), for every signed-in user, as Home Assistant's profile page
 * (`/profile/security`): the account, its sessions and long-lived access tokens (profile/sessions.ts),
 * two-factor authentication (profile/mfa.ts), and the password of a `homeassistant` login
 * (`config/auth_provider/homeassistant/change_password`). Everything goes through the WebSocket
 * commands Home Assistant's frontend uses.
 */
import type { CurrentUser } from './lib/api.js';
import { byId, notices, onSubmit, valueOf } from './lib/dom.js';
import { runSignedInPage } from './lib/signed-in.js';
import type { CommandSocket } from './lib/socket.js';
import { mfaCard } from './profile/mfa.js';
import { sessionsCard } from './profile/sessions.js';

let socket: CommandSocket | null = null;
const sessions = sessionsCard();
const mfa = mfaCard(async () => {
  if (socket !== null) mfa.show(socket, await socket.result<CurrentUser>('auth/current_user'));
});

const roleOf = (me: CurrentUser) => (me.is_owner ? 'Owner' : me.is_admin ? 'Administrator' : 'User');

onSubmit(byId('password-form', HTMLFormElement), async () => {
  if (socket === null) return;
  if (valueOf('new-password') !== valueOf('new-password-again')) {
    notices.error('The two new passwords differ.');
    byId('new-password-again', HTMLInputElement).focus();
    return;
  }
  await socket.result('config/auth_provider/homeassistant/change_password', {
    current_password: valueOf('current-password'),
    new_password: valueOf('new-password'),
  });
  for (const id of ['current-password', 'new-password', 'new-password-again']) byId(id, HTMLInputElement).value = '';
  notices.status('Your password is changed. Your sessions stay logged in.');
});

runSignedInPage({
  path: '/profile',
  async ready(current, me) {
    socket = current;
    byId('account-name', HTMLElement).textContent = me.name ?? '';
    byId('account-role', HTMLElement).textContent = roleOf(me);
    byId('password-card', HTMLElement).hidden = !me.credentials.some((credential) => credential.auth_provider_type === 'homeassistant');
    mfa.show(current, me);
    await sessions.show(current);
    byId('profile', HTMLElement).hidden = false;
    notices.status('');
  },
});
