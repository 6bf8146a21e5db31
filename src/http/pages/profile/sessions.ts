/**
 * The profile's sessions and long-lived access tokens: both are the user's refresh tokens
 * (`auth/refresh_tokens`), told apart by their type. A session is deleted with
 * `auth/delete_refresh_token` (its sockets close on every instance, its access tokens stop working),
 * all the others with `auth/delete_all_refresh_tokens` (type `normal`, the current one kept); a
 * long-lived token is created with `auth/long_lived_access_token` and shown once.
 */
import type { RefreshTokenInfo } from '../lib/api.js';
import { confirmAction } from '../lib/confirm.js';
import { act, button, byId, h, notices, onSubmit, valueOf } from '../lib/dom.js';
import { when } from '../lib/format.js';
import type { CommandSocket } from '../lib/socket.js';

/** Home Assistant's frontend gives new long-lived tokens ten years. */
const LIFESPAN_DAYS = 3650;

const clientOf = (token: RefreshTokenInfo) => token.client_name ?? token.client_id ?? 'An unnamed client';

function lastUse(token: RefreshTokenInfo): string {
  if (token.last_used_at === null) return 'never used';
  return `last used ${when(token.last_used_at)}${token.last_used_ip === null ? '' : ` from ${token.last_used_ip}`}`;
}

export function sessionsCard() {
  let socket: CommandSocket | null = null;
  const sessions = byId('session-list', HTMLUListElement);
  const tokens = byId('token-list', HTMLUListElement);
  const deleteOthers = byId('delete-others', HTMLButtonElement);

  async function remove(token: RefreshTokenInfo, what: string): Promise<void> {
    if (socket === null || !(await confirmAction(`Delete ${what} of ${clientOf(token)}? It stops working at once.`, 'Delete'))) return;
    await socket.result('auth/delete_refresh_token', { refresh_token_id: token.id });
    notices.status(`Deleted ${what} of ${clientOf(token)}.`);
    await load();
    // The row and its button are gone: the keyboard goes on from the list's heading.
    byId(token.type === 'normal' ? 'sessions-title' : 'tokens-title', HTMLHeadingElement).focus();
  }

  function item(token: RefreshTokenInfo, what: string): HTMLLIElement {
    const title = h('strong', {}, clientOf(token));
    if (token.is_current) title.append(h('span', { className: 'badge current' }, 'this browser'));
    const text = h('div', { className: 'item-text' }, title, h('span', { className: 'meta' }, `created ${when(token.created_at)}, ${lastUse(token)}`));
    const row = h('li', {}, text);
    row.dataset.tokenId = token.id;
    if (!token.is_current) {
      row.append(button('Delete', () => act(() => remove(token, what)), { className: 'danger', ariaLabel: `Delete ${what} of ${clientOf(token)}, created ${when(token.created_at)}` }));
    }
    return row;
  }

  async function load(): Promise<void> {
    if (socket === null) return;
    const all = await socket.result<RefreshTokenInfo[]>('auth/refresh_tokens');
    const normal = all.filter((token) => token.type === 'normal');
    sessions.replaceChildren(...normal.map((token) => item(token, 'the session')));
    deleteOthers.hidden = normal.every((token) => token.is_current);
    const longLived = all.filter((token) => token.type === 'long_lived_access_token');
    tokens.replaceChildren(...longLived.map((token) => item(token, 'the token')));
    tokens.hidden = longLived.length === 0;
  }

  deleteOthers.addEventListener('click', () => act(async () => {
    if (socket === null || !(await confirmAction('Log out every other session? Your long-lived access tokens stay.', 'Log out'))) return;
    await socket.result('auth/delete_all_refresh_tokens', { token_type: 'normal', delete_current_token: false });
    notices.status('Every other session is logged out.');
    await load();
    byId('sessions-title', HTMLHeadingElement).focus();
  }));

  const newToken = byId('new-token', HTMLDivElement);
  const newTokenValue = byId('new-token-value', HTMLInputElement);
  const copyStatus = byId('copy-status', HTMLParagraphElement);

  onSubmit(byId('token-form', HTMLFormElement), async () => {
    if (socket === null) return;
    const name = valueOf('token-name').trim();
    const token = await socket.result<string>('auth/long_lived_access_token', { client_name: name, lifespan: LIFESPAN_DAYS });
    byId('token-name', HTMLInputElement).value = '';
    newTokenValue.value = token;
    copyStatus.textContent = '';
    newToken.hidden = false;
    newTokenValue.focus();
    newTokenValue.select();
    notices.status(`Created the token ${name}.`);
    await load();
  });

  byId('copy-token', HTMLButtonElement).addEventListener('click', () => {
    navigator.clipboard.writeText(newTokenValue.value).then(
      () => (copyStatus.textContent = 'Copied.'),
      () => {
        // No clipboard (an insecure origin, a refused permission): the text is selected to copy by hand.
        newTokenValue.focus();
        newTokenValue.select();
        copyStatus.textContent = 'Copying is not allowed here: the token is selected, copy it with Ctrl+C (⌘C).';
      },
    );
  });

  return {
    async show(current: CommandSocket): Promise<void> {
      socket = current;
      await load();
    },
  };
}
