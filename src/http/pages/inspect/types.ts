/** The answers of the `inspect/*` commands (src/ws/commands/inspect.ts). Times are epoch milliseconds. */

/** A diagram as an element tree: the page builds it with createElementNS, parsing no markup. */
export interface SvgNode {
  tag: string;
  attributes: Record<string, string>;
  children: Array<SvgNode | string>;
}

export interface MachineInfo {
  name: string;
  version: number;
  states: Array<{ path: string; element_id: string }>;
  /** `from` null: a record's creation. */
  edges: Array<{ from: string | null; to: string; events: string[]; element_id: string }>;
  svg: SvgNode;
}

export type Counts = Record<string, Record<string, number>>;

/** `inspect/counts` and each `inspect/subscribe` event: live counts, and the last hour of the states whose records are deleted at once. */
export interface CountsEvent {
  counts: Counts;
  last_hour: Counts;
}

/** One event of `inspect/subscribe_transitions`: a record written by some instance. */
export interface TransitionNotice {
  machine: string;
  record_id: string;
  event: string;
  from: string | null;
  to: string;
  instance: string;
  at: number;
}

export interface InspectedRecord {
  machine: string;
  id: string;
  state: string;
  state_paths: string[];
  version: number;
  rev: number;
  summary: Record<string, string | number | boolean | null>;
}

export interface HistoryEntry {
  at: number;
  machine: string;
  record_id: string;
  event: string;
  from: string | null;
  to: string;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  detail: string | null;
}

export interface InspectedUser {
  user: { id: string; name: string | null; username: string | null; is_owner: boolean; is_active: boolean } | null;
  refresh_tokens: InspectedRecord[];
  history: HistoryEntry[];
}
