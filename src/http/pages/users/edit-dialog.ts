/**
 * One user, as an administrator may change it (`config/auth/update`: name, group, active, local
 * only; `config/auth/delete`) and, for the owner, its login (`config/auth_provider/homeassistant/
 * admin_change_username` and `admin_change_password`, which Home Assistant allows the owner only).
 * A user without a login gets one with `config/auth_provider/homeassistant/create`.
 *
 * What the server refuses is not offered: deactivating the owner, deleting yourself. Beyond the
 * commands, the page offers no one to deactivate themselves (they would lock themselves out) and
 * no one to delete the owner, whom only the owner could remove.
 */
import type { CurrentUser, UserInfo } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { act, byId, onSubmit, valueOf } from '../lib/dom.js';
import type { CommandSocket } from '../lib/socket.js';
import { DEFAULT_GROUP, fillGroups } from './groups.js';

const hasLogin = (user: UserInfo) => user.credentials.some((credential) => credential.type === 'homeassistant');

export function editDialog(changed: (text: string, userId: string) => Promise<void>) {
  let socket: CommandSocket | null = null;
  let user: UserInfo | null = null;
  const dialog = byId('edit-dialog', HTMLDialogElement);
  const showError = (text: string) => (byId('edit-error', HTMLParagraphElement).textContent = text);
  const checkbox = (id: string) => byId(id, HTMLInputElement);

  /** Runs a command on the user shown, then closes the dialog and says what changed. */
  async function change(type: string, fields: Record<string, unknown>, done: string): Promise<void> {
    if (socket === null || user === null) return;
    await socket.result(type, { user_id: user.id, ...fields });
    dialog.close();
    await changed(done, user.id);
  }

  onSubmit(byId('edit-form', HTMLFormElement), async () => {
    if (user === null) return;
    const active = checkbox('edit-active').checked;
    await change('config/auth/update', {
      name: valueOf('edit-name'),
      group_ids: [valueOf('edit-group')],
      local_only: checkbox('edit-local-only').checked,
      ...(active === user.is_active ? {} : { is_active: active }),
    }, `Saved ${valueOf('edit-name')}.`);
  }, showError);

  onSubmit(byId('username-form', HTMLFormElement), () =>
    change('config/auth_provider/homeassistant/admin_change_username', { username: valueOf('edit-username') }, 'Username changed.'), showError);

  onSubmit(byId('password-form', HTMLFormElement), () =>
    change('config/auth_provider/homeassistant/admin_change_password', { password: valueOf('edit-password') }, 'Password changed.'), showError);

  onSubmit(byId('login-form', HTMLFormElement), () =>
    change('config/auth_provider/homeassistant/create', { username: valueOf('login-username'), password: valueOf('login-password') }, 'Login added.'), showError);

  byId('delete-user', HTMLButtonElement).addEventListener('click', () => act(async () => {
    if (user === null || !(await confirmAction(`Delete ${user.name ?? 'this user'}? Their logins and sessions end at once.`, 'Delete'))) return;
    await change('config/auth/delete', {}, `Deleted ${user.name ?? 'the user'}.`);
  }, showError));

  byId('edit-close', HTMLButtonElement).addEventListener('click', () => dialog.close());

  return {
    open(current: CommandSocket, shown: UserInfo, me: CurrentUser): void {
      socket = current;
      user = shown;
      const self = shown.id === me.id;
      for (const id of ['edit-form', 'username-form', 'password-form', 'login-form']) byId(id, HTMLFormElement).reset();
      showError('');
      byId('edit-title', HTMLHeadingElement).textContent = `${shown.name ?? 'Unnamed user'}${self ? ' (you)' : ''}`;
      byId('edit-name', HTMLInputElement).value = shown.name ?? '';
      fillGroups(byId('edit-group', HTMLSelectElement), shown.group_ids[0] ?? DEFAULT_GROUP);
      checkbox('edit-active').checked = shown.is_active;
      checkbox('edit-active').disabled = shown.is_owner || self;
      checkbox('edit-local-only').checked = shown.local_only;
      byId('edit-username', HTMLInputElement).value = shown.username ?? '';
      byId('username-form', HTMLFormElement).hidden = !(me.is_owner && hasLogin(shown));
      byId('password-form', HTMLFormElement).hidden = !(me.is_owner && hasLogin(shown));
      byId('login-form', HTMLFormElement).hidden = hasLogin(shown);
      byId('delete-user', HTMLButtonElement).hidden = self || shown.is_owner;
      dialog.showModal();
      byId('edit-name', HTMLInputElement).focus();
    },
  };
}
