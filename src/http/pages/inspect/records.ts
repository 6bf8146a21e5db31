/**
 * One record (`inspect/record`: its summary and its history from the audit trail) and one user
 * (`inspect/user`: its refresh tokens and newest audit entries) on the inspection page, the record's
 * history drawn as its path on the diagram. A record id the user's tables (or the feed) name is a
 * button that shows that record.
 */
import { byId, h, notices } from '../lib/dom.js';
import type { CommandSocket } from '../lib/socket.js';
import type { machineDiagrams } from './diagrams.js';
import type { HistoryEntry, InspectedRecord, InspectedUser } from './types.js';

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const when = (ms: unknown) => (typeof ms === 'number' ? time(ms) : '');

function row(values: Array<Node | string | number | null | undefined>): HTMLTableRowElement {
  return h('tr', {}, ...values.map((value) => h('td', {}, value instanceof Node ? value : value === null || value === undefined ? '' : String(value))));
}

export function recordViews(socket: () => CommandSocket | null, diagrams: ReturnType<typeof machineDiagrams>) {
  let shownRecordId: string | null = null;
  let shownUser: string | null = null;

  async function showRecord(id: string, quietly: boolean): Promise<void> {
    const current = socket();
    if (current === null) return;
    const answer = await current.call('inspect/record', { record_id: id });
    if (!answer.success) {
      if (quietly) return;
      shownRecordId = null;
      byId('record', HTMLElement).hidden = true;
      diagrams.highlight(null);
      diagrams.showPath(null, []);
      notices.error(answer.error.code === 'not_found' ? `No record has the id ${id}.` : answer.error.message);
      return;
    }
    notices.error('');
    shownRecordId = id;
    const { record, history } = answer.result as { record: InspectedRecord | null; history: HistoryEntry[] };
    byId('record-title', HTMLElement).textContent = record === null
      ? `${id}: no live record (its history is below)`
      : `${record.machine} ${record.id}: ${record.state}`;
    const facts = record === null ? {} : { machine_version: record.version, rev: record.rev, ...record.summary };
    byId('record-summary', HTMLElement).replaceChildren(...Object.entries(facts).filter(([, value]) => value !== null).flatMap(([key, value]) => [
      h('dt', {}, key),
      h('dd', {}, typeof value === 'number' && /(_at|_until)$/.test(key) ? time(value) : String(value)),
    ]));
    byId('history', HTMLTableElement).tBodies[0]?.replaceChildren(...history.map((entry) =>
      row([time(entry.at), entry.event, entry.from, entry.to, entry.user_id, entry.client_id, entry.ip, entry.detail])));
    byId('record', HTMLElement).hidden = false;
    diagrams.showPath(record?.machine ?? history[0]?.machine ?? null, history);
    const node = diagrams.highlight(record);
    if (node !== null && !quietly) node.scrollIntoView({ block: 'center' });
  }

  /** A record id the user's tables name: a button that shows the record as the search does. */
  function recordLink(id: string): HTMLButtonElement {
    const link = h('button', { type: 'button', className: 'record-link' }, id);
    link.addEventListener('click', () => {
      byId('record-id', HTMLInputElement).value = id;
      void showRecord(id, false);
    });
    return link;
  }

  async function showUser(query: string, quietly: boolean): Promise<void> {
    const current = socket();
    if (current === null) return;
    const answer = await current.call('inspect/user', { user: query });
    if (!answer.success) {
      if (quietly) return;
      shownUser = null;
      byId('user', HTMLElement).hidden = true;
      notices.error(answer.error.code === 'not_found' ? `No user has the id or username ${query}.` : answer.error.message);
      return;
    }
    notices.error('');
    shownUser = query;
    const { user, refresh_tokens: tokens, history } = answer.result as InspectedUser;
    byId('user-title', HTMLElement).textContent = user === null
      ? `${query}: no such user any more (its history is below)`
      : `User ${user.name ?? ''}${user.username === null ? '' : ` (${user.username})`} ${user.id}${user.is_owner ? ', owner' : ''}${user.is_active ? '' : ', inactive'}`;
    byId('user-tokens', HTMLTableElement).tBodies[0]?.replaceChildren(...tokens.map((token) => row([
      recordLink(token.id), token.state, token.summary.token_type as string,
      (token.summary.client_name ?? token.summary.client_id) as string | null, when(token.summary.created_at), when(token.summary.last_used_at),
    ])));
    byId('user-history', HTMLTableElement).tBodies[0]?.replaceChildren(...history.slice().reverse().map((entry) => row([
      time(entry.at), recordLink(entry.record_id), entry.machine, entry.event, entry.from, entry.to, entry.client_id, entry.ip, entry.detail,
    ])));
    byId('user', HTMLElement).hidden = false;
  }

  return {
    showRecord,
    showUser,
    recordLink,
    /** Shows again what is shown, after the counts changed (quietly: a record that is gone stays as it was). */
    refresh(): void {
      if (shownRecordId !== null) void showRecord(shownRecordId, true);
      if (shownUser !== null) void showUser(shownUser, true);
    },
  };
}
