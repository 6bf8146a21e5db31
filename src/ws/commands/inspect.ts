/**
 * `inspect/*`: what the inspection page (`GET /inspect`) shows, for owners and administrators only
 * (`require_admin`: anyone else gets `unauthorized`). Not Home Assistant commands; same message shapes.
 *
 *   {"id": 2, "type": "inspect/machines"}
 *     → {"machines": [{"name": "refreshToken", "version": 2, "initial": "issued",
 *         "states": [{"path": "issued", "key": "issued", "final": false, "element_id": "refreshToken-state-issued"}, …],
 *         "edges": [{"from": null, "to": "issued", "events": ["create"], "element_id": "refreshToken-start-edge-root"},
 *                   {"from": "issued", "to": "revoked", "events": ["REVOKE"], "element_id": "refreshToken-edge-3"}, …],
 *         "svg": {"tag": "svg", "attributes": {…}, "children": [{"tag": "g", …}, …]}}, …]}
 *   {"id": 3, "type": "inspect/counts"}
 *     → {"counts": {"loginGrant": {"issued": 1, "redeemed": 4, "expired": 0, "revoked": 0}, "refreshToken": {…}, …},
 *        "last_hour": {"loginFlow": {"done": 7, "aborted": 1}, "mfaSetupFlow": {"confirmed": 0, "expired": 0}}}
 *     `last_hour`: the states whose records are deleted as they reach them (services/inspection/ended-records.ts),
 *     counted over the last 60 minutes, since their live count is always about 0.
 *   {"id": 4, "type": "inspect/record", "record_id": "<refresh-token id | flow id | SHA-256 of a code>"}
 *     → {"record": {"machine": "refreshToken", "id": "…", "state": "revoked", "state_paths": ["revoked"],
 *          "version": 2, "rev": 3, "summary": {"user_id": "…", "client_id": "…", "ended_at": 1764…, …}} | null,
 *        "history": [{"at": 1764…, "machine": "refreshToken", "record_id": "…", "event": "REVOKE", "from": "issued", "to": "revoked",
 *          "user_id": "…", "client_id": "…", "ip": "…", "detail": "reason=revoked emitted=refreshTokenEnded"}, …]}
 *     `record` is null when the record is gone but its history is kept; an id neither knows is
 *     `not_found` "Record not found.".
 *   {"id": 5, "type": "inspect/user", "user": "<user id | homeassistant username>"}
 *     → {"user": {"id": "…", "name": "Alice", "username": "alice", "is_owner": true, "is_active": true,
 *          "system_generated": false} | null,
 *        "refresh_tokens": [{"machine": "refreshToken", "id": "…", "state": "issued", …, "summary": {…}}, …],
 *        "history": [<the user's newest 100 audit entries, as above>]}
 *     `user` is null when the user is gone but the audit trail still names it; a user neither knows
 *     is `not_found` "User not found.".
 *   {"id": 6, "type": "inspect/subscribe"} → null, then {"id": 6, "type": "event", "event": {"counts": {…}, "last_hour": {…}}}
 *     at once and whenever the counts change (services/inspection/record-counts.ts), until `unsubscribe_events`
 *     or the socket closes.
 *   {"id": 7, "type": "inspect/subscribe_transitions"} → null, then one event per record written by any
 *     instance: {"id": 7, "type": "event", "event": {"machine": "loginFlow", "record_id": "…", "event": "SUBMIT",
 *       "from": "credentials", "to": "done", "instance": "host/1234", "at": 1764…}} (`from` null and
 *     `event` "create" for a new record), until `unsubscribe_events` or the socket closes. Live only:
 *     nothing written before the subscription, and on Redis what another instance wrote within about a
 *     second of it may be missed (stores/redis/transition-channel.ts).
 *
 * Times are epoch milliseconds. Nothing secret is in any answer (services/inspection/record-inspection.ts).
 */
import { CodedError } from '../../domain/errors.js';
import type { AuditEntry, TransitionNotice } from '../../stores/types.js';
import type { MachineDiagram } from '../../observability/machine-diagrams.js';
import type { RecordCountService, StateCounts } from '../../services/inspection/record-counts.js';
import type { InspectedRecord, RecordInspectionService } from '../../services/inspection/record-inspection.js';
import type { UserInspectionService } from '../../services/inspection/user-inspection.js';
import type { WsCommand } from '../command.js';

export interface InspectDeps {
  diagrams: () => Promise<MachineDiagram[]>;
  counts: RecordCountService;
  records: RecordInspectionService;
  users: UserInspectionService;
  /** Every instance's transitions as they are written (stores/types.ts TransitionChannel); returns the function that stops. */
  watchTransitions: (watcher: (notice: TransitionNotice) => void) => () => void;
}

/** `userId` → `user_id`: the wire's spelling, as Home Assistant's answers have it. */
const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

const snakeKeys = (object: object) => Object.fromEntries(Object.entries(object).map(([key, value]) => [snake(key), value as unknown]));

function recordAnswer({ summary, ...record }: InspectedRecord) {
  return { ...snakeKeys(record), summary: snakeKeys(summary) };
}

const countsAnswer = ({ live, lastHour }: StateCounts) => ({ counts: live, last_hour: lastHour });

function historyEntry({ at, machine, recordId, event, from, to, userId, clientId, ip, detail }: AuditEntry) {
  return { at, machine, record_id: recordId, event, from, to, user_id: userId, client_id: clientId, ip, detail };
}

export function inspectCommands({ diagrams, counts, records, users, watchTransitions }: InspectDeps): WsCommand[] {
  return [
    {
      type: 'inspect/machines',
      fields: null,
      requires: 'admin',
      run: async () => ({ machines: await diagrams() }),
    },
    {
      type: 'inspect/counts',
      fields: null,
      requires: 'admin',
      run: async () => countsAnswer(await counts.current()),
    },
    {
      type: 'inspect/record',
      fields: { record_id: { type: 'str', required: true } },
      requires: 'admin',
      async run(_context, message) {
        const found = await records.find(message.record_id as string);
        if (found === null) throw new CodedError('unknown_record');
        return { record: found.record === null ? null : recordAnswer(found.record), history: found.history.map(historyEntry) };
      },
    },
    {
      type: 'inspect/user',
      fields: { user: { type: 'str', required: true } },
      requires: 'admin',
      async run(_context, message) {
        const found = await users.find(message.user as string);
        if (found === null) throw new CodedError('uninspected_user');
        return {
          user: found.user === null ? null : snakeKeys(found.user),
          refresh_tokens: found.refreshTokens.map(recordAnswer),
          history: found.history.map(historyEntry),
        };
      },
    },
    {
      type: 'inspect/subscribe',
      fields: null,
      requires: 'admin',
      async run({ events }) {
        events.subscribe(counts.watch((current) => events.send(countsAnswer(current))));
        return null;
      },
    },
    {
      type: 'inspect/subscribe_transitions',
      fields: null,
      requires: 'admin',
      async run({ events }) {
        events.subscribe(watchTransitions(({ recordId, ...notice }) => events.send({ ...notice, record_id: recordId })));
        return null;
      },
    },
  ];
}
