/**
 * The running feed of the inspection page (`inspect/subscribe_transitions`): each record written by
 * any instance, newest first, as machine, record, event, from → to, instance and time; the edge it
 * took lights up on its machine's diagram. The notices hold nothing secret (the server builds them
 * from an allowlist: src/observability/transition-feed.ts).
 */
import { byId, h } from '../lib/dom.js';
import type { machineDiagrams } from './diagrams.js';
import type { TransitionNotice } from './types.js';

/** Rows kept: enough to read what just happened, few enough for a busy deployment. */
const FEED_ROWS = 50;

const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 23);

export function transitionFeed(diagrams: ReturnType<typeof machineDiagrams>, recordLink: (id: string) => HTMLElement) {
  const body = () => byId('feed', HTMLTableElement).tBodies[0];

  return {
    show(): void {
      byId('feed-section', HTMLElement).hidden = false;
    },
    add(notice: TransitionNotice): void {
      const row = h('tr', {},
        h('td', {}, clockTime(notice.at)),
        h('td', {}, notice.machine),
        h('td', {}, recordLink(notice.record_id)),
        h('td', {}, notice.event),
        h('td', {}, `${notice.from ?? '●'} → ${notice.to}`),
        h('td', {}, notice.instance));
      row.dataset.machine = notice.machine;
      const rows = body();
      rows?.prepend(row);
      while (rows !== undefined && rows.rows.length > FEED_ROWS) rows.lastElementChild?.remove();
      diagrams.flash(notice);
    },
  };
}
