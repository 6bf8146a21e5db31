/**
 * "Add a user", as Home Assistant's frontend does it: `config/auth/create` makes the user, then
 * `config/auth_provider/homeassistant/create` gives it a username and password. When the login cannot
 * be made (a taken or non-normalized username), the user just created is deleted again, so that no
 * user without a login is left behind.
 */
import { byId, onSubmit, valueOf } from '../lib/dom.js';
import type { UserInfo } from '../lib/api.js';
import type { CommandSocket } from '../lib/socket.js';
import { DEFAULT_GROUP, fillGroups } from './groups.js';

export function createDialog(created: (user: UserInfo) => Promise<void>) {
  let socket: CommandSocket | null = null;
  const dialog = byId('create-dialog', HTMLDialogElement);
  const form = byId('create-form', HTMLFormElement);
  const showError = (text: string) => (byId('create-error', HTMLParagraphElement).textContent = text);

  onSubmit(form, async () => {
    if (socket === null) return;
    if (valueOf('create-password') !== valueOf('create-password-again')) {
      showError('The two passwords differ.');
      byId('create-password-again', HTMLInputElement).focus();
      return;
    }
    const { user } = await socket.result<{ user: UserInfo }>('config/auth/create', {
      name: valueOf('create-name'),
      group_ids: [valueOf('create-group')],
      local_only: byId('create-local-only', HTMLInputElement).checked,
    });
    const username = valueOf('create-username');
    try {
      await socket.result('config/auth_provider/homeassistant/create', { user_id: user.id, username, password: valueOf('create-password') });
    } catch (error) {
      await socket.call('config/auth/delete', { user_id: user.id });
      throw error;
    }
    dialog.close();
    await created({ ...user, username });
  }, showError);

  byId('create-cancel', HTMLButtonElement).addEventListener('click', () => dialog.close());

  return {
    open(current: CommandSocket): void {
      socket = current;
      form.reset();
      showError('');
      fillGroups(byId('create-group', HTMLSelectElement), DEFAULT_GROUP);
      dialog.showModal();
      byId('create-name', HTMLInputElement).focus();
    },
  };
}
