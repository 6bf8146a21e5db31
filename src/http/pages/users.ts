/**
 * The users page (`/config/users`), for administrators, as Home Assistant's Settings → People →
 * Users: every user with its groups, flags and logins (`config/auth/list`), added with
 * users/create-dialog.ts and changed or deleted with users/edit-dialog.ts. Users the system made
 * (system_generated) are listed but cannot be changed, as the server refuses it.
 */
import type { CurrentUser, UserInfo } from './lib/api.js';
import { button, byId, h, notices } from './lib/dom.js';
import { refuse, runSignedInPage } from './lib/signed-in.js';
import type { CommandSocket } from './lib/socket.js';
import { createDialog } from './users/create-dialog.js';
import { editDialog } from './users/edit-dialog.js';
import { groupLabel } from './users/groups.js';

let socket: CommandSocket | null = null;
let me: CurrentUser | null = null;
const list = byId('user-list', HTMLUListElement);

/**
 * After a change the list is drawn anew, so the button that opened the dialog is gone: the focus
 * goes to the changed user's Edit button, or to the list's heading when the user is gone.
 */
function focusUser(userId: string): void {
  const edit = list.querySelector<HTMLButtonElement>(`li[data-user-id="${CSS.escape(userId)}"] button`);
  if (edit === null) byId('users-title', HTMLHeadingElement).focus();
  else edit.focus();
}

const creating = createDialog(async (user) => {
  notices.status(`Added ${user.name ?? user.username ?? 'the user'}.`);
  await load();
  focusUser(user.id);
});
const editing = editDialog(async (text, userId) => {
  notices.status(text);
  await load();
  focusUser(userId);
});

function facts(user: UserInfo, self: boolean): HTMLElement {
  const title = h('strong', {}, user.name ?? 'Unnamed user');
  const badges = [
    self && 'you',
    user.is_owner && 'owner',
    !user.is_active && 'inactive',
    user.local_only && 'local only',
    user.system_generated && 'system',
  ].filter((badge) => badge !== false);
  for (const badge of badges) title.append(h('span', { className: 'badge' }, badge));
  const logins = user.credentials.length === 0 ? 'no logins' : user.credentials.map((credential) => credential.type).join(', ');
  const meta = `${user.username === null ? 'no username' : `username ${user.username}`} · ${user.group_ids.map(groupLabel).join(', ') || 'no group'} · ${logins}`;
  return h('div', { className: 'item-text' }, title, h('span', { className: 'meta' }, meta));
}

async function load(): Promise<void> {
  if (socket === null || me === null) return;
  const current = socket;
  const viewer = me;
  const users = await current.result<UserInfo[]>('config/auth/list');
  list.replaceChildren(...users.map((user) => {
    const row = h('li', {}, facts(user, user.id === viewer.id));
    row.dataset.userId = user.id;
    if (!user.system_generated) {
      row.append(button('Edit', () => editing.open(current, user, viewer), { ariaLabel: `Edit ${user.name ?? 'unnamed user'}` }));
    }
    return row;
  }));
}

byId('add-user', HTMLButtonElement).addEventListener('click', () => {
  if (socket !== null) creating.open(socket);
});

runSignedInPage({
  path: '/config/users',
  async ready(current, user) {
    if (!user.is_admin) {
      refuse(current, 'Only administrators may manage users, and this account is not one.', 'Sign in as someone else');
      return;
    }
    socket = current;
    me = user;
    byId('owner-note', HTMLParagraphElement).hidden = user.is_owner;
    await load();
    byId('users', HTMLElement).hidden = false;
    notices.status('');
  },
});
