/**
 * The inspection page (`/inspect`), for owners and administrators: signs in as the other pages do
 * (lib/signed-in.ts), then speaks the WebSocket API's admin-only `inspect/*` commands
 * (src/ws/commands/inspect.ts): the machines' diagrams with their live counts (inspect/diagrams.ts),
 * every instance's transitions as they happen (inspect/feed.ts), and one record or one user found
 * by id (inspect/records.ts).
 */
import { byId, notices } from './lib/dom.js';
import { refuse, runSignedInPage } from './lib/signed-in.js';
import type { CommandSocket } from './lib/socket.js';
import { machineDiagrams } from './inspect/diagrams.js';
import { recordViews } from './inspect/records.js';
import { transitionFeed } from './inspect/feed.js';
import type { CountsEvent, MachineInfo, TransitionNotice } from './inspect/types.js';

let socket: CommandSocket | null = null;
const diagrams = machineDiagrams(byId('machines', HTMLDivElement));
const records = recordViews(() => socket, diagrams);
const feed = transitionFeed(diagrams, records.recordLink);
const search = byId('search', HTMLFormElement);
const userSearch = byId('user-search', HTMLFormElement);

search.addEventListener('submit', (event) => {
  event.preventDefault();
  const id = byId('record-id', HTMLInputElement).value.trim();
  if (id !== '') void records.showRecord(id, false);
});

userSearch.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = byId('user-query', HTMLInputElement).value.trim();
  if (query !== '') void records.showUser(query, false);
});

runSignedInPage({
  path: '/inspect',
  async ready(current) {
    const answer = await current.call('inspect/machines');
    if (!answer.success) {
      if (answer.error.code === 'unauthorized') {
        refuse(current, 'Only owners and administrators may inspect the machines, and this account is neither.', 'Sign in as someone else');
      } else {
        refuse(current, `The machines could not be read: ${answer.error.message}`);
      }
      return;
    }
    socket = current;
    notices.error('');
    notices.status('Connected. Counts update live.');
    search.hidden = false;
    userSearch.hidden = false;
    diagrams.render((answer.result as { machines: MachineInfo[] }).machines);
    feed.show();
    await current.subscribe('inspect/subscribe', (event) => {
      diagrams.updateCounts(event as CountsEvent);
      records.refresh();
    });
    await current.subscribe('inspect/subscribe_transitions', (event) => feed.add(event as TransitionNotice));
  },
});
